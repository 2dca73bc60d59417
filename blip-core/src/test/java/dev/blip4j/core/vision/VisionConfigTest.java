package dev.blip4j.core.vision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blip4j.core.InputException;
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
    void largeBatchesGoThroughInPassesWhoseWidestActivationStaysUnder16Mb() {
        // ViT-B at 384: 577 x 3072 floats = 7.1 MB per image
        assertEquals(2, new VisionConfig(384, 16, 768, 12, 12, 3072, 1e-6f).imagesPerPass());
        // ViT-L at 384: 9.5 MB per image
        assertEquals(1, new VisionConfig(384, 16, 1024, 24, 16, 4096, 1e-6f).imagesPerPass());
        // ViT-B at 224: 197 x 3072 floats = 2.4 MB
        assertEquals(6, new VisionConfig(224, 16, 768, 12, 12, 3072, 1e-6f).imagesPerPass());
        // a 64x64 grid of ViT-L: never fewer than one image
        assertEquals(1, new VisionConfig(1024, 16, 1024, 24, 16, 4096, 1e-6f).imagesPerPass());
    }

    @Test
    void sizesMustFitTogether() {
        assertThrows(ModelException.class, () -> new VisionConfig(380, 16, 768, 12, 12, 3072, 1e-6f));
        assertThrows(ModelException.class, () -> new VisionConfig(384, 16, 768, 12, 10, 3072, 1e-6f));
        assertThrows(ModelException.class, () -> new VisionConfig(384, 16, 0, 12, 12, 3072, 1e-6f));
    }

    @Test
    void imageSizesPastTheMaximumGridAreRefused() {
        assertNull(VisionConfig.imageSizeProblem(384, 16));
        assertNull(VisionConfig.imageSizeProblem(1024, 16));
        assertEquals("image size 1040 makes a 65x65 grid of 16-pixel patches, more than the 64x64 blip4j runs (at most"
                + " 1024 pixels)", VisionConfig.imageSizeProblem(1040, 16));
        // 800000 overflowed an int (NegativeArraySizeException), 96000 ran out of memory
        assertTrue(VisionConfig.imageSizeProblem(800_000, 16).startsWith("image size 800000 makes a 50000x50000 grid"));
        assertEquals("image size must be positive, got 0", VisionConfig.imageSizeProblem(0, 16));
        ModelException e = assertThrows(ModelException.class, () -> new VisionConfig(96_000, 16, 768, 12, 12, 3072, 1e-6f));
        assertTrue(e.getMessage().startsWith("image size 96000 makes a 6000x6000 grid"), e.getMessage());
    }

    @Test
    void oneBatchsAttentionIsBounded() {
        VisionConfig base = new VisionConfig(384, 16, 768, 12, 12, 3072, 1e-6f);
        base.requireBatchFits(64); // 577 tokens: 1 GiB of scores for 64 images
        VisionConfig large = base.withImageSize(1024);
        large.requireBatchFits(1);
        InputException e = assertThrows(InputException.class, () -> large.requireBatchFits(8));
        assertEquals("a batch of 8 images at 1024 pixels needs 6.0 GiB for the attention scores of one layer, more than"
                + " the 4 GiB blip4j allows: use smaller batches or a smaller image size", e.getMessage());
    }
}
