package dev.blip4j.spark;

import dev.blip4j.capfilt.CapFiltOptions;
import java.io.Serializable;

/**
 * What every executor needs to run CapFilt: both models, the options, and the engine's intra-op
 * threads (0 leaves the engine's default).
 */
public record JobSpec(ModelSpec captioner, ModelSpec filter, CapFiltOptions options, int threads)
        implements Serializable {

    private static final long serialVersionUID = 1L;
}
