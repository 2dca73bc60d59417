/**
 * CapFilt, BLIP's data bootstrapping (paper section 3.3): a captioner writes synthetic captions for
 * web images, an ITM filter removes noisy web and synthetic texts, and the cleaned pairs train the
 * next model.
 *
 * <ul>
 *   <li>{@link dev.blip4j.capfilt.SampleReader}: inputs as JSON Lines or WebDataset tar shards,
 *       with stable sample keys;</li>
 *   <li>{@link dev.blip4j.capfilt.CapFilt#process}: one batch of samples to candidate rows, the
 *       unit a distributed engine calls per partition;</li>
 *   <li>{@link dev.blip4j.capfilt.CapFiltRun}: a whole input on one machine, resumable, writing
 *       {@code all.jsonl}, {@code kept.jsonl} and the report;</li>
 *   <li>{@link dev.blip4j.capfilt.CapFiltSummary} and {@link dev.blip4j.capfilt.CapFiltReport}:
 *       counts, histograms and examples, mergeable across partitions.</li>
 * </ul>
 */
package dev.blip4j.capfilt;
