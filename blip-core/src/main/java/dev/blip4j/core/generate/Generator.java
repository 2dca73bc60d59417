package dev.blip4j.core.generate;

import dev.blip4j.core.InputException;
import dev.blip4j.core.ModelException;
import java.util.List;

/**
 * Entry point of decoding: picks the search the configuration asks for. The model must have been
 * prepared with {@link GenerationConfig#rowsPerInput()} consecutive rows per input.
 */
public final class Generator {

    /**
     * Token scores one call may compute, rows x length x vocabulary: 2^32, a 64-beam search of a
     * 512-token caption over BERT's vocabulary for four images. The defaults need 10^6 per image.
     */
    public static final long MAX_SCORES = 1L << 32;

    private Generator() {}

    /**
     * @param prompt the tokens every sequence starts with (e.g. {@code [DEC] a picture of})
     * @param inputs how many inputs (images) the model's rows cover
     * @param inputSeeds one sampling seed per input (ignored unless sampling); null derives them
     *     from the configured seed and the input's position
     * @return per input, {@code numReturnSequences} sequences, best first for beam search
     */
    public static List<List<Sequence>> generate(NextTokenModel model, long[] prompt, int inputs,
            GenerationConfig config, long eosId, long padId, long[] inputSeeds, SearchListener listener) {
        if (prompt.length == 0) {
            throw new InputException("the decoder prompt is empty: it must hold at least the start token");
        }
        if (prompt.length >= config.maxLength()) {
            throw new InputException("max length " + config.maxLength() + " leaves no room after the "
                    + prompt.length + "-token prompt (lengths count the prompt)");
        }
        if (inputSeeds != null && inputSeeds.length != inputs) {
            throw new IllegalArgumentException(inputSeeds.length + " seeds for " + inputs + " inputs");
        }
        long[] seeds = inputSeeds != null ? inputSeeds : Seeds.of(config.seed(), 0, inputs);
        int vocab = model.vocabSize();
        double scores = (double) inputs * config.rowsPerInput() * config.maxLength() * Math.max(vocab, 1);
        if (scores > MAX_SCORES) {
            throw new InputException(inputs + " inputs x " + config.rowsPerInput() + " rows x " + config.maxLength()
                    + " tokens x " + vocab + " vocabulary entries = " + String.format(java.util.Locale.ROOT, "%.3g", scores)
                    + " token scores, more than the " + MAX_SCORES + " one call decodes: use fewer beams or"
                    + " sequences, a shorter max length or smaller batches");
        }
        SearchListener l = listener == null ? SearchListener.NONE : listener;
        NextTokenModel finite = new FiniteLogits(model);
        return config.numBeams() > 1
                ? BeamSearch.run(finite, prompt, inputs, config, eosId, padId, l)
                : TokenSearch.run(finite, prompt, inputs, config, eosId, padId, seeds, l);
    }

    /**
     * The model's logits, refused when one is NaN or infinite: search would turn it into a token
     * (argmax of NaNs is token 0, a beam of NaNs has no best candidate) and report nothing wrong.
     */
    private record FiniteLogits(NextTokenModel model) implements NextTokenModel {

        @Override
        public float[][] next(long[][] tokens) {
            float[][] logits = model.next(tokens);
            for (int r = 0; r < logits.length; r++) {
                for (int v = 0; v < logits[r].length; v++) {
                    if (!Float.isFinite(logits[r][v])) {
                        throw new ModelException("the decoder's score of token " + v + " in row " + r + " is "
                                + logits[r][v] + ": the model's arithmetic overflowed (float16?); decoding stops"
                                + " rather than pick a token from it");
                    }
                }
            }
            return logits;
        }

        @Override
        public void reorder(int[] from) {
            model.reorder(from);
        }

        @Override
        public int vocabSize() {
            return model.vocabSize();
        }
    }
}
