package dev.blip4j.models.caption;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.blip4j.core.Blip;
import dev.blip4j.core.InputException;
import dev.blip4j.core.ModelException;
import dev.blip4j.core.generate.GenerationConfig;
import dev.blip4j.core.generate.Generator;
import dev.blip4j.core.generate.SearchListener;
import dev.blip4j.core.generate.Seeds;
import dev.blip4j.core.generate.Sequence;
import dev.blip4j.core.text.DecoderSession;
import dev.blip4j.core.text.DecodingRoute;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.gradcam.GradCam;
import dev.blip4j.models.image.RgbImage;
import dev.blip4j.models.text.BlipTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;

/**
 * Image captioning, as the official {@code BLIP_Decoder.generate}: the prompt becomes
 * {@code [DEC] a picture of} (its {@code [CLS]} replaced, its {@code [SEP]} dropped), the decoder
 * continues it under the chosen search, and the decoded text loses the prompt's characters.
 * All images of a batch and all their beams run in one forward pass per step.
 *
 * <p>Thread-safe: every call has its own arrays and decoding state.
 */
public final class Captioner {

    private final BlipModel model;
    private final CaptionOptions options;
    private final long[] promptIds;

    public Captioner(BlipModel model) {
        this(model, CaptionOptions.defaults());
    }

    public Captioner(BlipModel model, CaptionOptions options) {
        if (!model.network().hasDecoder()) {
            throw new ModelException(model.info().weights() + ": a " + model.network().config().kinds()
                    + " checkpoint has no text decoder and cannot caption");
        }
        this.model = model;
        this.options = options;
        this.promptIds = promptIds(model, options.prompt());
        int positions = model.network().decoderPositions();
        if (options.generation().maxLength() > positions) {
            throw new InputException("max length " + options.generation().maxLength()
                    + " exceeds the decoder's position table of " + positions);
        }
    }

    public CaptionOptions options() {
        return options;
    }

    /** The decoder's start: {@code [DEC]} then the prompt's tokens. */
    public long[] promptIds() {
        return promptIds.clone();
    }

    public List<Caption> caption(Path image) {
        return caption(model.readImage(image));
    }

    /** The captions of one image: {@code numReturnSequences} of them, best first. */
    public List<Caption> caption(RgbImage image) {
        return caption(List.of(image)).get(0);
    }

    public List<List<Caption>> caption(List<RgbImage> images) {
        return caption(images, null);
    }

    /** The captions of image files, in order (see {@link BlipModel#readImages}). */
    public List<List<Caption>> caption(Collection<Path> images) {
        return caption(model.readImages(images));
    }

    /**
     * @param seeds one sampling seed per image, so that a caption depends on its image's seed only
     *     (not on batching); null derives seeds from the configured one and the image's position
     */
    public List<List<Caption>> caption(List<RgbImage> images, long[] seeds) {
        return caption(images, seeds, null);
    }

    /**
     * As {@link #caption(List, long[])}, telling {@code listener} every search step (the model's
     * logits and what the search made of them), for looking inside a caption.
     */
    public List<List<Caption>> caption(List<RgbImage> images, long[] seeds, SearchListener listener) {
        if (images.isEmpty()) {
            return List.of();
        }
        if (seeds != null && seeds.length != images.size()) {
            throw new IllegalArgumentException(seeds.length + " seeds for " + images.size() + " images");
        }
        List<List<Caption>> out = new ArrayList<>(images.size());
        for (int start = 0; start < images.size(); start += options.batchSize()) {
            int end = Math.min(images.size(), start + options.batchSize());
            long[] batchSeeds = seeds == null ? Seeds.of(options.generation().seed(), start, end)
                    : Arrays.copyOfRange(seeds, start, end);
            try (NDManager m = model.network().newManager()) {
                NDArray states = model.network().encodeImage(model.pixels(images.subList(start, end), m));
                out.addAll(generate(states, batchSeeds, listener, DecodingRoute.ALONE));
            }
        }
        return out;
    }

    /**
     * Captions a batch already preprocessed, pixels [B, 3, S, S] as {@link BlipModel#pixels} makes
     * them (for a DJL Translator, whose input step makes them); one forward pass, however large B
     * is. The pixels are left as they are; the work happens in a manager of its own.
     *
     * @param seeds one sampling seed per image, or null for the configured seed mixed with the row
     */
    public List<List<Caption>> caption(NDArray pixels, long[] seeds) {
        int rows = Math.toIntExact(pixels.getShape().get(0));
        if (seeds != null && seeds.length != rows) {
            throw new IllegalArgumentException(seeds.length + " seeds for " + rows + " images");
        }
        try (NDManager m = model.network().newManager()) {
            NDArray local = pixels.duplicate();
            local.attach(m);
            long[] rowSeeds = seeds == null ? Seeds.of(options.generation().seed(), 0, rows) : seeds;
            return generate(model.network().encodeImage(local), rowSeeds, null, DecodingRoute.ALONE);
        }
    }

    /**
     * Captions images already through the ViT, image states [B, N, W] as {@link Blip#encodeImage}
     * makes them, with the decoder stepped through {@code route}: how a serving engine encodes the
     * images of many requests in one pass and steps their decoders together. With the states of one
     * image, seed {@code Seeds.mix(seed, 0)} and {@link DecodingRoute#ALONE}, this is exactly
     * {@link #caption(RgbImage)}.
     *
     * @param seeds one sampling seed per image (see {@link #caption(List, long[])})
     */
    public List<List<Caption>> captionEncoded(NDArray imageStates, long[] seeds, DecodingRoute route) {
        int rows = Math.toIntExact(imageStates.getShape().get(0));
        if (seeds == null || seeds.length != rows) {
            throw new IllegalArgumentException((seeds == null ? "no" : seeds.length) + " seeds for " + rows + " images");
        }
        return generate(imageStates, seeds, null, route);
    }

    private List<List<Caption>> generate(NDArray states, long[] seeds, SearchListener listener, DecodingRoute route) {
        Blip net = model.network();
        BlipTokenizer tokenizer = model.tokenizer();
        GenerationConfig generation = options.generation();
        int images = Math.toIntExact(states.getShape().get(0));
        List<List<Sequence>> sequences;
        try (DecoderSession session = net.startDecoding(states, null, generation.rowsPerInput())) {
            sequences = Generator.generate(route.route(session), promptIds, images, generation, tokenizer.sepId(),
                    tokenizer.padId(), seeds, listener);
        }
        List<List<Caption>> out = new ArrayList<>(images);
        for (List<Sequence> forImage : sequences) {
            List<Caption> captions = new ArrayList<>(forImage.size());
            for (Sequence s : forImage) {
                String text = tokenizer.decode(s.ids());
                if (options.stripPrompt()) {
                    text = text.substring(Math.min(options.prompt().length(), text.length()));
                }
                captions.add(new Caption(text, s.ids(), s.score()));
            }
            out.add(captions);
        }
        return out;
    }

    /**
     * Which image patches each generated token came from (blip4j's own Grad-CAM of captioning, see
     * {@link #gradCam(RgbImage, Caption, int)}), at the decoder's middle layer (6 of BLIP's 12).
     */
    public GradCam gradCam(RgbImage image, Caption caption) {
        return gradCam(image, caption, defaultGradCamLayer());
    }

    /**
     * Grad-CAM of a caption this captioner made for {@code image}: for each generated token, its
     * log-probability given the tokens before it is backpropagated to the cross-attention
     * probabilities of decoder layer {@code layer}, and the token's map is the row of the position
     * that predicted it, {@code mean over heads of p * clamp(grad, 0)} over the patch grid. Words
     * are the generated tokens but {@code [SEP]}. The caption itself is not changed; the gradients
     * exist only inside this call.
     *
     * @throws InputException if the decoder has no such layer or the caption does not start with this prompt
     */
    public GradCam gradCam(RgbImage image, Caption caption, int layer) {
        int layers = model.network().decoderLayers();
        if (layer < 0 || layer >= layers) {
            throw new InputException("Grad-CAM layer " + layer + " does not exist: the decoder has layers 0 to "
                    + (layers - 1));
        }
        return CaptionGradCam.explain(model, promptIds, image, caption, layer);
    }

    /** The decoder's middle layer, {@code layers / 2}: 6 of BLIP's 12, as LAVIS reads the encoder. */
    public int defaultGradCamLayer() {
        return model.network().decoderLayers() / 2;
    }

    /** {@code tokenizer(prompt).input_ids[:, :-1]} with {@code [DEC]} in place of {@code [CLS]}. */
    static long[] promptIds(BlipModel model, String prompt) {
        BlipTokenizer tokenizer = model.tokenizer();
        int positions = model.network().decoderPositions();
        long[] ids = tokenizer.encode(prompt, positions + 2).withFirstToken(tokenizer.decId()).ids();
        long[] withoutSep = Arrays.copyOf(ids, ids.length - 1);
        if (withoutSep.length >= positions) {
            throw new InputException("the prompt \"" + abbreviate(prompt) + "\" takes more than the "
                    + (positions - 1) + " tokens the decoder's position table leaves for it");
        }
        return withoutSep;
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 37) + "...";
    }
}
