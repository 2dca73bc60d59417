package dev.blip4j.core.generate;

import dev.blip4j.core.InputException;
import java.util.List;

/**
 * Entry point of decoding: picks the search the configuration asks for. The model must have been
 * prepared with {@link GenerationConfig#rowsPerInput()} consecutive rows per input.
 */
public final class Generator {

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
        SearchListener l = listener == null ? SearchListener.NONE : listener;
        return config.numBeams() > 1
                ? BeamSearch.run(model, prompt, inputs, config, eosId, padId, l)
                : TokenSearch.run(model, prompt, inputs, config, eosId, padId, seeds, l);
    }
}
