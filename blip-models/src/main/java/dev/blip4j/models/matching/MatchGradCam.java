package dev.blip4j.models.matching;

import dev.blip4j.models.gradcam.GradCam;

/**
 * A text's Grad-CAM maps over an image and the match they explain.
 *
 * @param text the text as given
 * @param itm the ITM match probability of this pass (the text alone, unpadded, first token as
 *     {@link MatchOptions#firstToken()} says)
 */
public record MatchGradCam(String text, double itm, GradCam gradCam) {}
