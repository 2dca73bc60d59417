package dev.blip4j.core.generate;

import dev.blip4j.core.InputException;
import java.util.ArrayList;
import java.util.List;

/**
 * How to decode. Lengths count the prompt, as in transformers. Defaults are those of BLIP's caption
 * demo and COCO evaluation: beam 3, max length 20, min length 5.
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

    /** Beam 3, max 20, min 5: the official caption demo and evaluation settings. */
    public static GenerationConfig captionDefaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder().numBeams(numBeams).maxLength(maxLength).minLength(minLength)
                .repetitionPenalty(repetitionPenalty).lengthPenalty(lengthPenalty).normalization(normalization)
                .sample(sample).topK(topK).topP(topP).temperature(temperature)
                .numReturnSequences(numReturnSequences).seed(seed);
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

    /** Builder with the official caption defaults. */
    public static final class Builder {
        private int numBeams = 3;
        private int maxLength = 20;
        private int minLength = 5;
        private float repetitionPenalty = 1f;
        private float lengthPenalty = 1f;
        private LengthNormalization normalization = LengthNormalization.WHOLE_SEQUENCE;
        private boolean sample;
        private int topK = 50;
        private float topP = 1f;
        private float temperature = 1f;
        private int numReturnSequences = 1;
        private long seed = 42;

        public Builder numBeams(int v) {
            numBeams = v;
            return this;
        }

        public Builder maxLength(int v) {
            maxLength = v;
            return this;
        }

        public Builder minLength(int v) {
            minLength = v;
            return this;
        }

        public Builder repetitionPenalty(float v) {
            repetitionPenalty = v;
            return this;
        }

        public Builder lengthPenalty(float v) {
            lengthPenalty = v;
            return this;
        }

        public Builder normalization(LengthNormalization v) {
            normalization = v;
            return this;
        }

        /** Greedy search: one beam, no sampling. */
        public Builder greedy() {
            numBeams = 1;
            sample = false;
            return this;
        }

        /** Nucleus sampling as BLIP's {@code generate(sample=True)}: top-p 0.9, top-k 50, repetition penalty 1.1. */
        public Builder nucleus(float p) {
            numBeams = 1;
            sample = true;
            topP = p;
            repetitionPenalty = 1.1f;
            return this;
        }

        public Builder sample(boolean v) {
            sample = v;
            return this;
        }

        public Builder topK(int v) {
            topK = v;
            return this;
        }

        public Builder topP(float v) {
            topP = v;
            return this;
        }

        public Builder temperature(float v) {
            temperature = v;
            return this;
        }

        public Builder numReturnSequences(int v) {
            numReturnSequences = v;
            return this;
        }

        public Builder seed(long v) {
            seed = v;
            return this;
        }

        public GenerationConfig build() {
            return new GenerationConfig(numBeams, maxLength, minLength, repetitionPenalty, lengthPenalty,
                    normalization, sample, topK, topP, temperature, numReturnSequences, seed);
        }
    }
}
