package dev.blip4j.core;

import dev.blip4j.core.text.TextConfig;
import dev.blip4j.core.vision.VisionConfig;
import java.util.Set;

/**
 * The whole shape of a BLIP model.
 *
 * @param kinds the tasks the loaded parts support (a pre-trained checkpoint supports several)
 * @param embedDim ITC projection width (256 in BLIP), 0 without ITC heads
 */
public record BlipConfig(Set<BlipKind> kinds, VisionConfig vision, TextConfig text, int embedDim) {

    public BlipConfig {
        kinds = Set.copyOf(kinds);
    }
}
