package dev.blip4j.djl;

import ai.djl.modality.cv.Image;
import ai.djl.translate.Translator;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.features.FeatureExtractor;
import dev.blip4j.models.features.ImageFeatures;
import dev.blip4j.models.features.TextFeatures;
import dev.blip4j.models.image.RgbImage;
import dev.blip4j.models.matching.MatchingText;
import java.util.List;
import java.util.Set;

/**
 * BLIP's ITC embeddings through DJL, with {@link FeatureExtractor}: an image or a text in, its
 * normalised ITC projection out ({@link ImageFeatures#embedding()}, {@link TextFeatures#embedding()},
 * {@code embed_dim} floats of unit length), so that the dot product of an image's and a text's is
 * their ITC cosine. A batch goes through the extractor in one call. Texts are not cut at 35 tokens
 * ({@code BLIP_Base}, as {@code blip features}); for short texts this is the embedding matching
 * and search use. Needs a checkpoint with {@code vision_proj} and {@code text_proj} (ITM,
 * retrieval, pre-trained).
 */
public final class FeatureTasks {

    /** Image in, its normalised ITC embedding out. */
    public static final BlipTask<Image, float[]> IMAGE = BlipTask.of(Image.class, float[].class, Set.of(),
            FeatureTasks::image);

    /** Text in, its normalised ITC embedding out. */
    public static final BlipTask<String, float[]> TEXT = BlipTask.of(String.class, float[].class, Set.of(),
            FeatureTasks::text);

    private FeatureTasks() {}

    static Translator<Image, float[]> image(BlipModel model, TaskArguments args) {
        MatchingText.requireItc(model, "ITC image embeddings");
        FeatureExtractor extractor = new FeatureExtractor(model);
        return new BatchTranslator<>(batch -> {
            List<RgbImage> images = DjlImages.convert(model, batch);
            return () -> extractor.images(images).stream().map(ImageFeatures::embedding).toList();
        });
    }

    static Translator<String, float[]> text(BlipModel model, TaskArguments args) {
        MatchingText.requireItc(model, "ITC text embeddings");
        FeatureExtractor extractor = new FeatureExtractor(model);
        return new BatchTranslator<>(batch -> {
            List<String> texts = List.copyOf(batch);
            return () -> extractor.texts(texts).stream().map(TextFeatures::embedding).toList();
        });
    }
}
