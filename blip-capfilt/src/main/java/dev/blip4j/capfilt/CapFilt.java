package dev.blip4j.capfilt;

import dev.blip4j.core.BlipException;
import dev.blip4j.core.generate.Seeds;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.caption.Caption;
import dev.blip4j.models.caption.Captioner;
import dev.blip4j.capfilt.CandidateRow.Source;
import dev.blip4j.models.image.RgbImage;
import dev.blip4j.models.matching.ImageTextMatcher;
import dev.blip4j.models.matching.Match;
import dev.blip4j.models.matching.MatchOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * CapFilt, BLIP's dataset bootstrapping (paper section 3.3), for one batch of samples: the
 * <b>captioner</b> (a caption model) writes synthetic captions for each web image, the
 * <b>filter</b> (an ITM model) scores the web text and every synthetic caption against the image,
 * and a text is kept when its ITM probability of "match" reaches the threshold. The cleaned pairs
 * are what the next model is pre-trained on.
 *
 * <p>Every number of a sample depends on that sample alone: its sampling seed is
 * {@code Seeds.mix(seed, key)}, so batching, ordering and partitioning (the single-machine
 * {@link CapFiltRun} or a distributed engine calling {@link #process(List)} per partition) give
 * the same rows. A sample that cannot be used (unreadable line or image, missing file) or a blank
 * text becomes a row with an {@code error}; it never stops the batch.
 *
 * <p>Thread-safe: models and task objects are; calls share nothing mutable.
 */
public final class CapFilt {

    /** How long an image download may take. */
    public static final Duration DOWNLOAD_TIMEOUT = Duration.ofSeconds(30);

    private final CapFiltOptions options;
    private final Captioner captioner;
    private final ImageTextMatcher filter;
    private final SampleImages images;

    /**
     * @param captioner a caption model (any layout)
     * @param filter an ITM model: ITM, retrieval or pre-trained checkpoint
     * @throws dev.blip4j.core.ModelException if the captioner has no decoder or the filter lacks the
     *     matching heads
     */
    public CapFilt(BlipModel captioner, BlipModel filter, CapFiltOptions options) {
        this.options = options;
        this.captioner = new Captioner(captioner, options.captionOptions());
        this.filter = new ImageTextMatcher(filter, new MatchOptions(options.firstToken(), options.batchSize(), 256, true));
        this.images = new SampleImages(captioner.imageLoader(), DOWNLOAD_TIMEOUT);
    }

    public CapFiltOptions options() {
        return options;
    }

    /** The sampling seed of a sample: {@code Seeds.mix(seed, key)}. */
    public static long seedOf(long seed, String key) {
        return Seeds.mix(seed, key);
    }

    /**
     * Captions and filters a batch, {@link CapFiltOptions#batchSize()} images per forward pass.
     *
     * @return per sample in order: its web text's row (when it has a web text or failed as a whole),
     *     then its synthetic captions' rows in draw order (best first for beam search)
     */
    public List<CandidateRow> process(List<Sample> samples) {
        List<CandidateRow> out = new ArrayList<>();
        for (int start = 0; start < samples.size(); start += options.batchSize()) {
            out.addAll(batch(samples.subList(start, Math.min(samples.size(), start + options.batchSize()))));
        }
        return out;
    }

    private List<CandidateRow> batch(List<Sample> samples) {
        int n = samples.size();
        RgbImage[] decoded = new RgbImage[n];
        String[] failure = new String[n];
        List<RgbImage> loaded = new ArrayList<>();
        List<Integer> index = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Sample s = samples.get(i);
            if (s.error() != null) {
                failure[i] = s.error();
                continue;
            }
            try {
                decoded[i] = images.load(s);
                loaded.add(decoded[i]);
                index.add(i);
            } catch (BlipException e) {
                failure[i] = e.getMessage();
            }
        }
        long[] seeds = new long[loaded.size()];
        for (int j = 0; j < seeds.length; j++) {
            seeds[j] = seedOf(options.seed(), samples.get(index.get(j)).key());
        }
        List<List<Caption>> captions = captioner.caption(loaded, seeds);

        // per loaded image: [web text if usable] + its captions, scored against that image only
        List<List<String>> texts = new ArrayList<>();
        List<List<Integer>> slots = new ArrayList<>();
        List<List<CandidateRow>> pending = new ArrayList<>();
        for (int j = 0; j < loaded.size(); j++) {
            Sample s = samples.get(index.get(j));
            List<String> t = new ArrayList<>();
            List<Integer> slot = new ArrayList<>();
            List<CandidateRow> rows = new ArrayList<>();
            if (s.text() != null) {
                add(s, s.text(), Source.WEB, "empty text", t, slot, rows);
            }
            for (Caption c : captions.get(j)) {
                add(s, c.text(), Source.SYNTHETIC, "empty caption", t, slot, rows);
            }
            texts.add(t);
            slots.add(slot);
            pending.add(rows);
        }
        List<List<Match>> matches = filter.matchEach(loaded, texts);
        for (int j = 0; j < loaded.size(); j++) {
            List<CandidateRow> rows = pending.get(j);
            for (int k = 0; k < matches.get(j).size(); k++) {
                int at = slots.get(j).get(k);
                rows.set(at, scored(rows.get(at), matches.get(j).get(k)));
            }
        }

        List<CandidateRow> out = new ArrayList<>();
        int j = 0;
        for (int i = 0; i < n; i++) {
            Sample s = samples.get(i);
            if (failure[i] != null) {
                out.add(new CandidateRow(s.key(), s.image(), s.text(), Source.WEB, null, null, false, failure[i],
                        s.extra()));
            } else {
                out.addAll(pending.get(j++));
            }
        }
        return out;
    }

    /** Adds a candidate's row; a non-blank text is also queued for scoring into that row's slot. */
    private static void add(Sample s, String text, Source source, String blankError, List<String> texts,
            List<Integer> slots, List<CandidateRow> rows) {
        boolean blank = text.isBlank();
        if (!blank) {
            texts.add(text);
            slots.add(rows.size());
        }
        rows.add(unscored(s, text, source, blank ? blankError : null));
    }

    private static CandidateRow unscored(Sample s, String text, Source source, String error) {
        return new CandidateRow(s.key(), s.image(), text, source, null, null, false, error, s.extra());
    }

    private CandidateRow scored(CandidateRow r, Match m) {
        double itm = m.itm();
        double itc = m.itc();
        if (!Double.isFinite(itm) || !Double.isFinite(itc)) {
            return new CandidateRow(r.key(), r.image(), r.text(), r.source(), null, null, false,
                    "the filter's score is not a number (itm " + itm + ", itc " + itc + ")", r.extra());
        }
        return new CandidateRow(r.key(), r.image(), r.text(), r.source(), itm, itc, itm >= options.threshold(), null,
                r.extra());
    }
}
