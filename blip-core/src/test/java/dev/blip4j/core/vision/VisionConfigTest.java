package dev.blip4j.core.vision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.blip4j.core.ModelException;
import org.junit.jupiter.api.Test;

class VisionConfigTest {

    @Test
    void vitBase384CostsTheIssuesFiftyFiveGigaMacs() {
        VisionConfig vitB = new VisionConfig(384, 16, 768, 12, 12, 3072, 1e-6f);
        assertEquals(577, vitB.tokens());
        // patches 576*768*768 + 12 * (4*577*768^2 + 2*577^2*768 + 2*577*768*3072)
        assertEquals(55_483_582_464L, vitB.macsPerImage());
    }

    @Test
    void sizesMustFitTogether() {
        assertThrows(ModelException.class, () -> new VisionConfig(380, 16, 768, 12, 12, 3072, 1e-6f));
        assertThrows(ModelException.class, () -> new VisionConfig(384, 16, 768, 12, 10, 3072, 1e-6f));
        assertThrows(ModelException.class, () -> new VisionConfig(384, 16, 0, 12, 12, 3072, 1e-6f));
    }
}
