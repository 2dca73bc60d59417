package dev.blip4j.djl;

import ai.djl.repository.zoo.ModelZoo;
import ai.djl.repository.zoo.ZooProvider;

/** Registers {@link BlipModelZoo} with DJL (through {@code META-INF/services/ai.djl.repository.zoo.ZooProvider}). */
public final class BlipZooProvider implements ZooProvider {

    @Override
    public ModelZoo getModelZoo() {
        return new BlipModelZoo();
    }
}
