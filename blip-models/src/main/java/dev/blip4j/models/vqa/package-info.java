/**
 * Visual question answering with BLIP's VQA model ({@code BLIP_VQA}): a question is encoded
 * together with the image (first token {@code [ENC]}) and the answer decoder either generates an
 * answer ({@link dev.blip4j.models.vqa.VisualQuestionAnswerer#answer}) or ranks the entries of a
 * closed {@link dev.blip4j.models.vqa.AnswerList} with the official two-stage method
 * ({@link dev.blip4j.models.vqa.VisualQuestionAnswerer#rank}).
 */
package dev.blip4j.models.vqa;
