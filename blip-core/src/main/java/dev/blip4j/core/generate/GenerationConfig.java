package dev.blip4j.core.generate;

import dev.blip4j.core.InputException;
import java.util.ArrayList;
import java.util.List;

/**
 * How to decode. Lengths count the prompt, as in transformers. Start from {@link #defaults()}, those
 * of BLIP's caption demo and COCO evaluation (beam 3, max length 20, min length 5), and change what
 * differs with the {@code with*} methods; every value is checked as it is made.
 *
 * @param numBeams 1 for greedy or sampling
 * @param lengthPenalty exponent of the length that divides a beam hypothesis' summed log-probabilities
 * @param normalization which length that is: the whole sequence (transformers 4.15, official BLIP) or
 *     only the generated tokens (newer transformers)
 * @param sample nucleus/top-k sampling instead of search
 * @param topK 0 keeps every token
 * @param topP 1 keeps every token
 * @param numReturnSequences sequences per input: best hypotheses for beam search (at most numBeams),
 *     independent draws for sampling; greedy search finds one
 * @param seed base seed of sampling; each input and draw derives its own generator from it
 */
public record GenerationConfig(int numBeams, int maxLength, int minLength, float repetitionPenalty,
        float lengthPenalty, LengthNormalization normalization, boolean sample, int topK, float topP,
        float temperature, int numReturnSequences, long seed) {

    /** The length that normalises a beam hypothesis' score. */
    public enum LengthNormalization {
        /** Prompt included (transformers 4.15, which BLIP's results come from). */
        WHOLE_SEQUENCE,
        /** Generated tokens only (transformers 4.3x and later). */
        GENERATED_TOKENS
    }

    public GenerationConfig {
        if (numBeams < 1) {
            throw new InputException("number of beams must be at least 1, got " + numBeams);
        }
        if (maxLength < 1) {
            throw new InputException("max length must be at least 1, got " + maxLength);
        }
        if (minLength < 0 || minLength > maxLength) {
            throw new InputException("min length must be between 0 and the max length " + maxLength + ", got " + minLength);
        }
        if (!(repetitionPenalty > 0)) {
            throw new InputException("repetition penalty must be positive, got " + repetitionPenalty);
        }
        if (sample && numBeams > 1) {
            throw new InputException("sampling draws one token at a time: use 1 beam with sampling, got " + numBeams);
        }
        if (topK < 0) {
            throw new InputException("top-k must be 0 (off) or positive, got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new InputException("top-p must be in (0, 1], got " + topP);
        }
        if (!(temperature > 0)) {
            throw new InputException("temperature must be positive, got " + temperature);
        }
        if (numReturnSequences > 1 && numBeams == 1 && !sample) {
            throw new InputException("greedy search finds one sequence, not " + numReturnSequences
                    + ": use beam search (at most one sequence per beam) or sampling for several");
        }
        if (numReturnSequences < 1 || (numBeams > 1 && numReturnSequences > numBeams)) {
            throw new InputException("number of returned sequences must be between 1 and the number of beams ("
                    + numBeams + "), got " + numReturnSequences);
        }
        if (normalization == null) {
            throw new InputException("length normalization must be given");
        }
    }

    /**
     * The official caption demo and evaluation settings: beam 3, max length 20, min length 5, no
     * repetition penalty, length penalty 1 over the whole sequence; for sampling top-k 50, top-p 1,
     * temperature 1; one sequence; seed 42.
     */
    public static GenerationConfig defaults() {
        return new GenerationConfig(3, 20, 5, 1f, 1f, LengthNormalization.WHOLE_SEQUENCE, false, 50, 1f, 1f, 1, 42);
    }

    /** {@link #defaults()}, by the name of what they are for. */
    public static GenerationConfig captionDefaults() {
        return defaults();
    }

    /** Greedy search: one beam, no sampling. */
    public GenerationConfig withGreedy() {
        return new GenerationConfig(1, maxLength, minLength, repetitionPenalty, lengthPenalty, normalization, false,
                topK, topP, temperature, numReturnSequences, seed);
    }

    /**
     * Nucleus sampling as BLIP's {@code generate(sample=True)}: one beam, top-p {@code p},
     * repetition penalty 1.1 (top-k stays 50).
     */
    public GenerationConfig withNucleus(float p) {
        return new GenerationConfig(1, maxLength, minLength, 1.1f, lengthPenalty, normalization, true, topK, p,
                temperature, numReturnSequences, seed);
    }

    public GenerationConfig withNumBeams(int n) {
        return new GenerationConfig(n, maxLength, minLength, repetitionPenalty, lengthPenalty, normalization, sample,
                topK, topP, temperature, numReturnSequences, seed);
    }

    public GenerationConfig withMaxLength(int n) {
        return withLengths(minLength, n);
    }

    public GenerationConfig withMinLength(int n) {
        return withLengths(n, maxLength);
    }

    /** Both lengths at once, so that neither has to fit the other's old value. */
    public GenerationConfig withLengths(int min, int max) {
        return new GenerationConfig(numBeams, max, min, repetitionPenalty, lengthPenalty, normalization, sample, topK,
                topP, temperature, numReturnSequences, seed);
    }

    public GenerationConfig withRepetitionPenalty(float p) {
        return new GenerationConfig(numBeams, maxLength, minLength, p, lengthPenalty, normalization, sample, topK,
                topP, temperature, numReturnSequences, seed);
    }

    public GenerationConfig withLengthPenalty(float p) {
        return new GenerationConfig(numBeams, maxLength, minLength, repetitionPenalty, p, normalization, sample, topK,
                topP, temperature, numReturnSequences, seed);
    }

    public GenerationConfig withNormalization(LengthNormalization n) {
        return new GenerationConfig(numBeams, maxLength, minLength, repetitionPenalty, lengthPenalty, n, sample, topK,
                topP, temperature, numReturnSequences, seed);
    }

    public GenerationConfig withSample(boolean s) {
        return new GenerationConfig(numBeams, maxLength, minLength, repetitionPenalty, lengthPenalty, normalization, s,
                topK, topP, temperature, numReturnSequences, seed);
    }

    public GenerationConfig withTopK(int k) {
        return new GenerationConfig(numBeams, maxLength, minLength, repetitionPenalty, lengthPenalty, normalization,
                sample, k, topP, temperature, numReturnSequences, seed);
    }

    public GenerationConfig withTopP(float p) {
        return new GenerationConfig(numBeams, maxLength, minLength, repetitionPenalty, lengthPenalty, normalization,
                sample, topK, p, temperature, numReturnSequences, seed);
    }

    public GenerationConfig withTemperature(float t) {
        return new GenerationConfig(numBeams, maxLength, minLength, repetitionPenalty, lengthPenalty, normalization,
                sample, topK, topP, t, numReturnSequences, seed);
    }

    public GenerationConfig withNumReturnSequences(int n) {
        return new GenerationConfig(numBeams, maxLength, minLength, repetitionPenalty, lengthPenalty, normalization,
                sample, topK, topP, temperature, n, seed);
    }

    public GenerationConfig withSeed(long s) {
        return new GenerationConfig(numBeams, maxLength, minLength, repetitionPenalty, lengthPenalty, normalization,
                sample, topK, topP, temperature, numReturnSequences, s);
    }

    /** Rows the model runs per input: the beams, or one per returned sequence. */
    public int rowsPerInput() {
        return numBeams > 1 ? numBeams : numReturnSequences;
    }

    /** The processors of transformers' {@code _get_logits_processor}, in its order. */
    List<LogitsProcessor> processors(long eosId) {
        List<LogitsProcessor> list = new ArrayList<>();
        if (repetitionPenalty != 1f) {
            list.add(LogitsProcessor.repetitionPenalty(repetitionPenalty));
        }
        if (minLength > 0) {
            list.add(LogitsProcessor.minLength(minLength, eosId));
        }
        return list;
    }

    /** The warpers of transformers' {@code _get_logits_warper}, in its order (sampling only). */
    List<LogitsProcessor> warpers() {
        List<LogitsProcessor> list = new ArrayList<>();
        if (temperature != 1f) {
            list.add(LogitsProcessor.temperature(temperature));
        }
        if (topK > 0) {
            list.add(LogitsProcessor.topK(topK));
        }
        if (topP < 1f) {
            list.add(LogitsProcessor.topP(topP));
        }
        return list;
    }
}
