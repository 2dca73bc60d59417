package dev.blip4j.models.features;

import dev.blip4j.core.InputException;
import dev.blip4j.models.text.Padding;

/**
 * How {@link FeatureExtractor} tokenizes and batches.
 *
 * @param padding {@link Padding#NONE} (default): each text's features have its own length, as
 *     {@code BLIP_Base.forward} gives for one text; {@link Padding#LONGEST}: every text of a call is
 *     padded to the longest and its pad positions are kept, as LAVIS {@code extract_features}
 *     ({@code padding=True}) returns a batch; {@link Padding#MAX_LENGTH}: padded to {@code maxTextLength}
 * @param maxTextLength longest text in tokens, special ones included; 0 (default) means the text
 *     encoder's position table (512 for BLIP), the most the official code can take without
 *     failing (it does not truncate); longer texts are cut there, {@code [SEP]} kept last
 * @param batchSize images, or texts, per forward pass
 */
public record FeatureOptions(Padding padding, int maxTextLength, int batchSize) {

    public FeatureOptions {
        if (padding == null) {
            throw new InputException("padding must be NONE, LONGEST or MAX_LENGTH, not null");
        }
        if (maxTextLength != 0 && maxTextLength < 2) {
            throw new InputException("max text length must be 0 (the position table) or at least 2, got "
                    + maxTextLength);
        }
        if (padding == Padding.MAX_LENGTH && maxTextLength == 0) {
            throw new InputException("Padding.MAX_LENGTH needs an explicit max text length");
        }
        if (batchSize < 1) {
            throw new InputException("batch size must be at least 1, got " + batchSize);
        }
    }

    public static FeatureOptions defaults() {
        return new FeatureOptions(Padding.NONE, 0, 8);
    }

    public FeatureOptions withPadding(Padding p) {
        return new FeatureOptions(p, maxTextLength, batchSize);
    }

    public FeatureOptions withMaxTextLength(int n) {
        return new FeatureOptions(padding, n, batchSize);
    }

    public FeatureOptions withBatchSize(int n) {
        return new FeatureOptions(padding, maxTextLength, n);
    }
}
