package dev.blip4j.capfilt;

import com.google.gson.JsonObject;
import dev.blip4j.core.InputException;
import dev.blip4j.core.generate.GenerationConfig;
import dev.blip4j.models.caption.CaptionOptions;
import dev.blip4j.models.matching.FirstToken;
import java.io.Serializable;
import java.util.Locale;

/**
 * How CapFilt captions and filters. Defaults follow the BLIP paper (section 3.3) and the official
 * {@code BLIP_Decoder.generate(sample=True)}: nucleus sampling with top-p 0.9 (and transformers'
 * default top-k 50), repetition penalty 1.1, max length 30 and min length 10 (counting the
 * {@code [DEC] a picture of} prompt, which is stripped from the caption); one synthetic caption per
 * image; the filter keeps a text whose ITM match probability is at least 0.5 (the ITM head's
 * "matched"), scoring with {@code [ENC]} first as ITM was trained.
 *
 * @param numCaptions synthetic captions per image: independent draws when sampling, the best
 *     hypotheses with beam search (at most {@code beams})
 * @param threshold a text is kept when its ITM probability is {@code >=} this, in [0, 1]
 * @param seed base sampling seed; each sample's seed is {@code Seeds.mix(seed, key)}
 * @param beams 0 for nucleus sampling (the paper's choice); N &gt;= 1 for beam search with N beams
 *     (1 is greedy), repetition penalty 1.0 as the official beam search
 * @param topP nucleus mass when sampling
 * @param maxLength longest caption, prompt included
 * @param minLength shortest caption, prompt included
 * @param prompt the text captions continue (stripped from them)
 * @param firstToken first token of the ITM text: {@code ENC} (default) or {@code CLS} as {@code BLIP_ITM}
 * @param batchSize samples per captioner and filter pass
 */
public record CapFiltOptions(int numCaptions, double threshold, long seed, int beams, float topP, int maxLength,
        int minLength, String prompt, FirstToken firstToken, int batchSize) implements Serializable {

    private static final long serialVersionUID = 1L;

    public CapFiltOptions {
        if (numCaptions < 1) {
            throw new InputException("the number of captions must be at least 1, got " + numCaptions);
        }
        if (!(threshold >= 0 && threshold <= 1)) {
            throw new InputException("the threshold is an ITM probability and must be in [0, 1], got " + threshold);
        }
        if (beams < 0) {
            throw new InputException("beams must be 0 (nucleus sampling) or at least 1 (beam search), got " + beams);
        }
        if (beams >= 1 && numCaptions > beams) {
            throw new InputException("beam search returns at most its " + beams + " beams: ask for at most " + beams
                    + " captions, or sample (beams 0), got " + numCaptions);
        }
        if (prompt == null) {
            throw new InputException("the prompt must not be null (use \"\" for none)");
        }
        if (firstToken == null) {
            throw new InputException("the first token must be ENC or CLS, not null");
        }
        if (batchSize < 1) {
            throw new InputException("batch size must be at least 1, got " + batchSize);
        }
        // the remaining checks are the generation configuration's
        generation(numCaptions, seed, beams, topP, maxLength, minLength);
    }

    /** One nucleus-sampled caption per image, threshold 0.5, seed 42, {@code [ENC]}, batches of 8. */
    public static CapFiltOptions defaults() {
        return new CapFiltOptions(1, 0.5, 42, 0, 0.9f, 30, 10, CaptionOptions.DEFAULT_PROMPT, FirstToken.ENC, 8);
    }

    /** Whether captions are sampled (else beam search). */
    public boolean sampling() {
        return beams == 0;
    }

    /** The captioner's decoding. */
    public GenerationConfig generation() {
        return generation(numCaptions, seed, beams, topP, maxLength, minLength);
    }

    private static GenerationConfig generation(int n, long seed, int beams, float topP, int maxLength,
            int minLength) {
        GenerationConfig search = beams == 0 ? GenerationConfig.defaults().withNucleus(topP)
                : GenerationConfig.defaults().withNumBeams(beams);
        return search.withLengths(minLength, maxLength).withNumReturnSequences(n).withSeed(seed);
    }

    /** The captioner's options: this decoding and prompt, prompt stripped, batches of {@code batchSize}. */
    public CaptionOptions captionOptions() {
        return new CaptionOptions(generation(), prompt, true, batchSize);
    }

    public CapFiltOptions withNumCaptions(int n) {
        return new CapFiltOptions(n, threshold, seed, beams, topP, maxLength, minLength, prompt, firstToken, batchSize);
    }

    public CapFiltOptions withThreshold(double t) {
        return new CapFiltOptions(numCaptions, t, seed, beams, topP, maxLength, minLength, prompt, firstToken, batchSize);
    }

    public CapFiltOptions withSeed(long s) {
        return new CapFiltOptions(numCaptions, threshold, s, beams, topP, maxLength, minLength, prompt, firstToken,
                batchSize);
    }

    public CapFiltOptions withBeams(int b) {
        return new CapFiltOptions(numCaptions, threshold, seed, b, topP, maxLength, minLength, prompt, firstToken,
                batchSize);
    }

    public CapFiltOptions withTopP(float p) {
        return new CapFiltOptions(numCaptions, threshold, seed, beams, p, maxLength, minLength, prompt, firstToken,
                batchSize);
    }

    public CapFiltOptions withLengths(int min, int max) {
        return new CapFiltOptions(numCaptions, threshold, seed, beams, topP, max, min, prompt, firstToken, batchSize);
    }

    public CapFiltOptions withPrompt(String p) {
        return new CapFiltOptions(numCaptions, threshold, seed, beams, topP, maxLength, minLength, p, firstToken,
                batchSize);
    }

    public CapFiltOptions withFirstToken(FirstToken t) {
        return new CapFiltOptions(numCaptions, threshold, seed, beams, topP, maxLength, minLength, prompt, t, batchSize);
    }

    public CapFiltOptions withBatchSize(int b) {
        return new CapFiltOptions(numCaptions, threshold, seed, beams, topP, maxLength, minLength, prompt, firstToken, b);
    }

    /** The options as the report and a run's state record them. */
    public JsonObject toJson() {
        GenerationConfig g = generation();
        JsonObject o = new JsonObject();
        o.addProperty("num_captions", numCaptions);
        o.addProperty("threshold", threshold);
        o.addProperty("seed", seed);
        o.addProperty("decoding", sampling() ? "nucleus" : "beam");
        o.addProperty("beams", beams);
        o.addProperty("top_p", g.topP());
        o.addProperty("top_k", g.sample() ? g.topK() : 0);
        o.addProperty("repetition_penalty", g.repetitionPenalty());
        o.addProperty("max_length", maxLength);
        o.addProperty("min_length", minLength);
        o.addProperty("prompt", prompt);
        o.addProperty("first_token", firstToken.name().toLowerCase(Locale.ROOT));
        o.addProperty("batch_size", batchSize);
        return o;
    }
}
