package dev.blip4j.core.text;

import dev.blip4j.core.generate.NextTokenModel;

/**
 * How a generation call's decoder session is stepped: {@link #ALONE}, one forward pass per step for
 * its own rows, or through a scheduler that steps it together with other calls' sessions
 * ({@link DecoderSession#next(java.util.List, java.util.List)}), which is how a serving engine
 * batches decoding continuously without the search code knowing.
 */
@FunctionalInterface
public interface DecodingRoute {

    DecodingRoute ALONE = session -> session;

    /** The model the search runs on for this session. */
    NextTokenModel route(DecoderSession session);
}
