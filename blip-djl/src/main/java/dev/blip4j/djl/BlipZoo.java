package dev.blip4j.djl;

import ai.djl.nn.IdentityBlockFactory;
import ai.djl.repository.zoo.Criteria;
import java.nio.file.Path;

/**
 * Shortcuts for loading blip4j through DJL's Criteria.
 *
 * <pre>{@code
 * Criteria<Image, String> c = Criteria.builder().setTypes(Image.class, String.class)
 *         .optModelUrls(BlipZoo.url("Salesforce/blip-image-captioning-base")).build();
 * Criteria<Image, String> d = BlipZoo.criteria(Image.class, String.class).optModelPath(dir).build();
 * }</pre>
 */
public final class BlipZoo {

    private BlipZoo() {}

    /** The {@code blip4j:} URL of a model id {@code org/name[@revision]}. */
    public static String url(String modelId) {
        return BlipRepository.SCHEME + "://" + modelId;
    }

    /** The {@code blip4j:} URL of a local directory or weights file. */
    public static String url(Path path) {
        return BlipRepository.SCHEME + "://" + path.toAbsolutePath().toUri().getRawPath();
    }

    /**
     * A Criteria builder set up for blip4j, for model locations that are not {@code blip4j:} URLs
     * ({@code optModelPath}, {@code file:} URLs): the translator factory, a Block without
     * parameters, and the PyTorch engine.
     */
    public static <I, O> Criteria.Builder<I, O> criteria(Class<I> input, Class<O> output) {
        return Criteria.builder()
                .setTypes(input, output)
                .optEngine("PyTorch")
                .optTranslatorFactory(new BlipTranslatorFactory())
                .optArgument("blockFactory", IdentityBlockFactory.class.getName())
                .optOption("hasParameter", "false");
    }
}
