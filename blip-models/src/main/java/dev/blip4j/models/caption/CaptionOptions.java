package dev.blip4j.models.caption;

import dev.blip4j.core.InputException;
import dev.blip4j.core.generate.GenerationConfig;

/**
 * How to caption. Defaults are the official demo's and COCO evaluation's: beam 3, max length 20,
 * min length 5 (both counting the prompt), prompt {@code "a picture of "}, stripped from the output.
 *
 * @param stripPrompt remove the prompt's characters from the decoded text, as the official code;
 *     false keeps them, as HF does
 * @param batchSize images per forward pass
 */
public record CaptionOptions(GenerationConfig generation, String prompt, boolean stripPrompt, int batchSize) {

    public static final String DEFAULT_PROMPT = "a picture of ";

    public CaptionOptions {
        if (generation == null) {
            throw new InputException("caption options need a generation configuration");
        }
        if (prompt == null) {
            throw new InputException("the prompt must not be null (use \"\" for none)");
        }
        if (batchSize < 1) {
            throw new InputException("batch size must be at least 1, got " + batchSize);
        }
    }

    public static CaptionOptions defaults() {
        return new CaptionOptions(GenerationConfig.captionDefaults(), DEFAULT_PROMPT, true, 8);
    }

    public CaptionOptions withGeneration(GenerationConfig g) {
        return new CaptionOptions(g, prompt, stripPrompt, batchSize);
    }

    public CaptionOptions withPrompt(String p) {
        return new CaptionOptions(generation, p, stripPrompt, batchSize);
    }

    public CaptionOptions withStripPrompt(boolean strip) {
        return new CaptionOptions(generation, prompt, strip, batchSize);
    }

    public CaptionOptions withBatchSize(int size) {
        return new CaptionOptions(generation, prompt, stripPrompt, size);
    }
}
