package dev.blip4j.models.nlvr;

import dev.blip4j.models.image.RgbImage;

/**
 * One NLVR2 question: is {@code text} true of the pair of images? Rows that share an image (the
 * same instance) have it encoded once.
 */
public record NlvrQuery(RgbImage first, RgbImage second, String text) {}
