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
    void evaViTgAsBlip2RunsItCostsAbout260GigaMacs() {
        VisionConfig vitG = new VisionConfig(224, 14, 1408, 39, 16, 6144, 1e-6f);
        assertEquals(257, vitG.tokens());
        // patches 256*1408*588 + 39 * (4*257*1408^2 + 2*257^2*1408 + 2*257*1408*6144): 4.7x ViT-B at 384 px
        assertEquals(260_359_630_080L, vitG.macsPerImage());
    }

    @Test
    void sizesMustFitTogether() {
        assertThrows(ModelException.class, () -> new VisionConfig(380, 16, 768, 12, 12, 3072, 1e-6f));
        assertThrows(ModelException.class, () -> new VisionConfig(384, 16, 768, 12, 10, 3072, 1e-6f));
        assertThrows(ModelException.class, () -> new VisionConfig(384, 16, 0, 12, 12, 3072, 1e-6f));
    }
}
