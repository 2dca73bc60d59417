package dev.blip4j.core;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.blip4j.core.nn.Linear;
import dev.blip4j.core.nn.Scoped;
import dev.blip4j.core.text.CrossAttentionProbe;
import dev.blip4j.core.text.DecoderSession;
import dev.blip4j.core.text.LmHead;
import dev.blip4j.core.text.MedMode;
import dev.blip4j.core.text.NlvrHead;
import dev.blip4j.core.text.ReferenceDecoder;
import dev.blip4j.core.text.TextTransformer;
import dev.blip4j.core.text.TransformersDecoder;
import dev.blip4j.core.vision.VisionTransformer;
import java.util.List;

/**
 * A BLIP network as in the paper's figure 2: a ViT image encoder and a multimodal mixture of
 * encoder-decoder (MED) over text, with the heads of whichever tasks the checkpoint was trained
 * for. Every part except the ViT is optional; which ones exist is the model's {@link BlipKind}.
 *
 * <p>MED in pre-training: the text encoder (used unimodally for ITC and image-grounded for ITM) and
 * the decoder (captioning, LM) share every weight except self-attention. Here the sharing is simply
 * the same arrays referenced from both stacks; the loader decides it from the checkpoint, where
 * the shared tensors are views of one storage. Fine-tuned checkpoints carry only the stacks their
 * task uses, and VQA's encoder and decoder are not tied.
 *
 * <p>Instances are immutable and safe to share between threads: every call allocates its own
 * arrays, in the manager of its inputs.
 */
public final class Blip implements ImageTextNetwork, AutoCloseable {

    private final NDManager manager;
    private final BlipConfig config;
    private final VisionTransformer vision;
    private final TextTransformer textEncoder;
    private final TextTransformer textDecoder;
    private final LmHead lmHead;
    private final Linear visionProj;
    private final Linear textProj;
    private final Linear itmHead;
    private final NlvrHead nlvrHead;

    /**
     * @param manager owns every weight; closed with the model
     */
    public Blip(NDManager manager, BlipConfig config, VisionTransformer vision, TextTransformer textEncoder,
            TextTransformer textDecoder, LmHead lmHead, Linear visionProj, Linear textProj, Linear itmHead) {
        this(manager, config, vision, textEncoder, textDecoder, lmHead, visionProj, textProj, itmHead, null);
    }

    /**
     * @param nlvrHead NLVR2's classifier, whose text encoder attends to two images (null for BLIP's other kinds)
     */
    public Blip(NDManager manager, BlipConfig config, VisionTransformer vision, TextTransformer textEncoder,
            TextTransformer textDecoder, LmHead lmHead, Linear visionProj, Linear textProj, Linear itmHead,
            NlvrHead nlvrHead) {
        this.manager = manager;
        this.config = config;
        this.vision = vision;
        this.textEncoder = textEncoder;
        this.textDecoder = textDecoder;
        this.lmHead = lmHead;
        this.visionProj = visionProj;
        this.textProj = textProj;
        this.itmHead = itmHead;
        this.nlvrHead = nlvrHead;
        if ((textDecoder == null) != (lmHead == null)) {
            throw new ModelException("a text decoder needs its LM head and the other way round");
        }
    }

    public BlipConfig config() {
        return config;
    }

    /** A manager for one call's arrays: close it when the call is over. */
    public NDManager newManager() {
        return manager.newSubManager();
    }

    /**
     * The element type the weights are kept in. Whatever it is, the methods here take and return
     * float32 arrays: inputs are cast on the way in and results on the way out, so a half-precision
     * model is a drop-in replacement. Inside {@link BlipEngine#withGradients} (Grad-CAM) results keep
     * the weights' type instead, since DJL's casts would cut them off from their gradient.
     */
    public DataType dtype() {
        return vision.patchWeight().getDataType();
    }

    /** ViT tokens [B, 1 + patches, W] of normalised pixels [B, 3, S, S]. */
    public NDArray encodeImage(NDArray pixels) {
        config.vision().requireBatchFits(pixels.getShape().get(0));
        return Scoped.compute(() -> out(vision.forward(in(pixels))));
    }

    /** Unimodal text states [B, T, H] (ITC's text side, first token {@code [CLS]}). */
    public NDArray encodeText(NDArray ids, NDArray mask) {
        return Scoped.compute(() -> out(encoder().forward(ids, mask, MedMode.TEXT, null, null)));
    }

    /**
     * Image-grounded text states [B, T, H]: each text cross-attends to the image tokens of its
     * image.
     *
     * @param images [S, N, W] image tokens, where S divides B: each image serves B / S consecutive
     *     texts (one row per text, or one image for every text), its keys and values computed once
     * @param imageMask [S, N] or null when every image token is attended (always, for BLIP)
     */
    public NDArray encodeMultimodal(NDArray ids, NDArray mask, NDArray images, NDArray imageMask) {
        return encodeMultimodal(ids, mask, images, imageMask, null);
    }

    /**
     * As {@link #encodeMultimodal(NDArray, NDArray, NDArray, NDArray)}, with the cross-attention
     * probabilities of one layer shown to {@code probe} (Grad-CAM), or to none when it is null.
     */
    public NDArray encodeMultimodal(NDArray ids, NDArray mask, NDArray images, NDArray imageMask,
            CrossAttentionProbe probe) {
        return grounded(ids, mask, List.of(images), imageMask, probe);
    }

    /**
     * NLVR2's text states [B, T, H], grounded in two images at once: every layer's twinned
     * cross-attention attends to {@code first} and to {@code second}.
     *
     * @param first [S, N, W] image tokens of the first image of each pair, S dividing B as in
     *     {@link #encodeMultimodal}
     * @param second [S, N, W] image tokens of the second image
     */
    public NDArray encodeMultimodalPair(NDArray ids, NDArray mask, NDArray first, NDArray second) {
        return grounded(ids, mask, List.of(first, second), null, null);
    }

    private NDArray grounded(NDArray ids, NDArray mask, List<NDArray> images, NDArray imageMask,
            CrossAttentionProbe probe) {
        return Scoped.compute(() -> out(encoder().forward(null, ids, mask, MedMode.MULTIMODAL,
                images.stream().map(this::in).toList(), imageMask, probe)));
    }

    /** ITC image embedding: L2-normalised {@code vision_proj} of the {@code [CLS]} token, [B, D]. */
    public NDArray imageEmbedding(NDArray imageStates) {
        Linear proj = head(visionProj, "vision_proj");
        return Scoped.compute(() -> out(normalize(proj.apply(in(firstToken(imageStates))))));
    }

    /** ITC text embedding: L2-normalised {@code text_proj} of the first token, [B, D]. */
    public NDArray textEmbedding(NDArray textStates) {
        Linear proj = head(textProj, "text_proj");
        return Scoped.compute(() -> out(normalize(proj.apply(in(firstToken(textStates))))));
    }

    /** ITC image embeddings [B, 1, D]: {@link #imageEmbedding}, BLIP's single ITC vector per image. */
    @Override
    public NDArray imageEmbeddings(NDArray imageStates) {
        return imageEmbedding(imageStates).expandDims(1);
    }

    @Override
    public NDArray itmLogits(NDArray imageStates, NDArray ids, NDArray mask) {
        return itmLogits(encodeMultimodal(ids, mask, imageStates, null));
    }

    /** ITM logits [B, 2] (index 1 = match) from image-grounded text states. */
    public NDArray itmLogits(NDArray multimodalStates) {
        Linear itm = head(itmHead, "itm_head");
        return Scoped.compute(() -> out(itm.apply(in(firstToken(multimodalStates)))));
    }

    /** NLVR2 logits [B, 2] (index 1 = "true") from the states of {@link #encodeMultimodalPair}. */
    public NDArray nlvrLogits(NDArray pairStates) {
        if (nlvrHead == null) {
            throw new ModelException("this " + config.kinds() + " checkpoint has no NLVR2 cls_head");
        }
        return Scoped.compute(() -> out(nlvrHead.apply(in(firstToken(pairStates)))));
    }

    /**
     * Prepares the decoder to generate over {@code states} (image tokens, or VQA question states).
     *
     * @param rowsPerState decoder rows per state row: the beams, or sequences drawn, per image
     */
    public DecoderSession startDecoding(NDArray states, NDArray mask, int rowsPerState) {
        return new DecoderSession(decoder(), lmHead, states, mask, rowsPerState);
    }

    /**
     * Prepares the decoder to generate over image tokens the way the official code does, which
     * copies the image per beam and projects it anew at every step: the same tokens as
     * {@link #startDecoding}, more slowly. For timing the difference ({@code blip bench}).
     */
    public ReferenceDecoder startReferenceDecoding(NDArray imageStates, int beams) {
        return new ReferenceDecoder(decoder(), lmHead, imageStates, beams);
    }

    /**
     * Prepares the decoder to generate over image tokens the way HuggingFace transformers does
     * today: the image copied per beam, each copy projected once into cross-attention keys and
     * values, both caches reordered by copying after every beam step. The same tokens as
     * {@link #startDecoding}; for timing the difference ({@code blip bench}'s {@code caption-hf}).
     */
    public TransformersDecoder startTransformersDecoding(NDArray imageStates, int beams) {
        return new TransformersDecoder(decoder(), lmHead, imageStates, beams);
    }

    /**
     * Decoder logits [B, T, vocab] of whole sequences in one pass (scoring, VQA ranking, losses).
     *
     * @param states [S, N, W] what the decoder attends to, S dividing B as in {@link #encodeMultimodal}
     * @param statesMask [S, N] or null when every state token is attended
     */
    public NDArray decoderLogits(NDArray ids, NDArray mask, NDArray states, NDArray statesMask) {
        return decoderLogits(ids, mask, states, statesMask, null);
    }

    /**
     * As {@link #decoderLogits(NDArray, NDArray, NDArray, NDArray)}, with the cross-attention
     * probabilities of one decoder layer shown to {@code probe} (Grad-CAM of a caption), or to none when null.
     */
    public NDArray decoderLogits(NDArray ids, NDArray mask, NDArray states, NDArray statesMask,
            CrossAttentionProbe probe) {
        return Scoped.compute(() -> out(lmHead.apply(decoder().forward(null, ids, mask, MedMode.DECODER,
                List.of(in(states)), statesMask, probe))));
    }

    /** The ViT (its weights, e.g. to write them out; use {@link #encodeImage} to run it). */
    public VisionTransformer vision() {
        return vision;
    }

    /** Tokens the text encoder's position table holds: the longest text it reads. */
    public int encoderPositions() {
        return encoder().config().maxPositions();
    }

    /** Tokens the text decoder's position table holds: the longest sequence it writes or scores. */
    public int decoderPositions() {
        return decoder().config().maxPositions();
    }

    /** Layers of the text encoder (where Grad-CAM of a match can look). */
    public int encoderLayers() {
        return encoder().layers().size();
    }

    /** Layers of the text decoder (where Grad-CAM of a caption can look). */
    public int decoderLayers() {
        return decoder().layers().size();
    }

    public boolean hasEncoder() {
        return textEncoder != null;
    }

    public boolean hasDecoder() {
        return textDecoder != null;
    }

    /**
     * Whether the text encoder can read text grounded in an image (ITM, VQA questions, multimodal
     * features); NLVR2's, grounded in two, cannot.
     */
    public boolean hasMultimodalEncoder() {
        return textEncoder != null && textEncoder.memories() == 1;
    }

    public boolean hasItc() {
        return visionProj != null && textProj != null;
    }

    public boolean hasItm() {
        return itmHead != null;
    }

    public boolean hasNlvr() {
        return nlvrHead != null;
    }

    private TextTransformer encoder() {
        if (textEncoder == null) {
            throw new ModelException("this " + config.kinds() + " checkpoint has no text encoder");
        }
        return textEncoder;
    }

    private TextTransformer decoder() {
        if (textDecoder == null) {
            throw new ModelException("this " + config.kinds() + " checkpoint has no text decoder");
        }
        return textDecoder;
    }

    private Linear head(Linear head, String name) {
        if (head == null) {
            throw new ModelException("this " + config.kinds() + " checkpoint has no " + name);
        }
        return head;
    }

    /** An input in the weights' type (the same array when it already is). */
    private NDArray in(NDArray x) {
        return x.toType(dtype(), false);
    }

    /**
     * A result as float32 (the same array when it already is). DJL's casts are not recorded by
     * autograd, so while gradients are recorded (Grad-CAM) results keep the weights' type.
     */
    private static NDArray out(NDArray x) {
        return BlipEngine.recordingGradients() ? x : x.toType(DataType.FLOAT32, false);
    }

    private static NDArray firstToken(NDArray states) {
        return states.get(":, 0, :");
    }

    /** {@code F.normalize(x, dim=-1)}: x / max(||x||, 1e-12). */
    public static NDArray normalize(NDArray x) {
        return x.div(x.norm(new int[] {-1}, true).maximum(1e-12f));
    }

    @Override
    public void close() {
        manager.close();
    }
}
