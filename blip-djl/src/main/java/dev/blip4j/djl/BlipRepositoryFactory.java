package dev.blip4j.djl;

import ai.djl.repository.Repository;
import ai.djl.repository.RepositoryFactory;
import java.net.URI;
import java.util.Set;

/**
 * Registers the {@code blip4j:} URL scheme with DJL (through
 * {@code META-INF/services/ai.djl.repository.RepositoryFactory}), so that
 * {@code Criteria.optModelUrls("blip4j://Salesforce/blip-image-captioning-base")} finds blip4j.
 */
public final class BlipRepositoryFactory implements RepositoryFactory {

    @Override
    public Repository newInstance(String name, URI uri) {
        return new BlipRepository(name, uri);
    }

    @Override
    public Set<String> getSupportedScheme() {
        return Set.of(BlipRepository.SCHEME);
    }
}
