/**
 * Image-text matching with BLIP's ITM and ITC heads ({@link dev.blip4j.models.matching.ImageTextMatcher}).
 *
 * <p>Defaults follow the official code each use is modelled on: the matcher puts {@code [CLS]} first in
 * the image-grounded text, as {@code BLIP_ITM.forward(match_head='itm')} and HuggingFace do; retrieval
 * re-ranking and evaluation ({@code dev.blip4j.models.retrieval}) put {@code [ENC]} first, as
 * {@code BLIP_Retrieval} was trained and {@code train_retrieval.py evaluation()} scores. Texts are cut
 * and padded to 35 tokens everywhere in matching and retrieval ({@link dev.blip4j.models.matching.MatchingText}).
 */
package dev.blip4j.models.matching;
