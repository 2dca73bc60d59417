/**
 * BLIP's text side: {@link dev.blip4j.models.text.BlipTokenizer} (bert-base-uncased WordPiece
 * plus BLIP's {@code [DEC]} and {@code [ENC]}), its {@link dev.blip4j.models.text.Encoding} and
 * {@link dev.blip4j.models.text.BatchEncoding} results, and {@link
 * dev.blip4j.models.text.BlipText} helpers.
 */
package dev.blip4j.models.text;
