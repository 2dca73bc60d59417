package dev.blip4j.core.blip2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.blip4j.core.Blip;
import dev.blip4j.core.ImageTextNetwork;
import dev.blip4j.core.nn.Linear;
import dev.blip4j.core.nn.Scoped;
import dev.blip4j.core.vision.VisionTransformer;

/**
 * BLIP-2's first stage (arXiv 2301.12597, figure 2): a frozen ViT, then the Q-Former, whose learned
 * queries read the image through cross-attention, and the heads of BLIP's image-text objectives
 * over them. As LAVIS's {@code Blip2Qformer} uses them:
 * <ul>
 *   <li>ITC: the largest, over the queries, of {@code normalize(vision_proj(query)) ·
 *       normalize(text_proj(text [CLS]))};</li>
 *   <li>ITM: {@code itm_head} on every query's output after queries and text ran together, the
 *       logits averaged over the queries.</li>
 * </ul>
 * The ViT is BLIP's {@link VisionTransformer} with EVA's weights (whose separate query and value
 * biases the loader folds into one fused bias) and LAVIS's {@code ln_vision} as its final LayerNorm.
 *
 * <p>Immutable and safe to share between threads. Like {@link Blip}, every method takes and
 * returns float32 arrays whatever the weights' type, and allocates in the manager of its inputs.
 */
public final class Blip2 implements ImageTextNetwork, AutoCloseable {

    private final NDManager manager;
    private final Blip2Config config;
    private final VisionTransformer vision;
    private final QFormer qformer;
    private final Linear visionProj;
    private final Linear textProj;
    private final Linear itmHead;
    private final Float temperature;

    /**
     * @param manager owns every weight; closed with the model
     * @param temperature ITC's learned temperature {@code temp}, null when the file has none
     *     (transformers drops it)
     */
    public Blip2(NDManager manager, Blip2Config config, VisionTransformer vision, QFormer qformer, Linear visionProj,
            Linear textProj, Linear itmHead, Float temperature) {
        this.manager = manager;
        this.config = config;
        this.vision = vision;
        this.qformer = qformer;
        this.visionProj = visionProj;
        this.textProj = textProj;
        this.itmHead = itmHead;
        this.temperature = temperature;
    }

    public Blip2Config config() {
        return config;
    }

    public VisionTransformer vision() {
        return vision;
    }

    public QFormer qformer() {
        return qformer;
    }

    /** ITC's learned temperature ({@code temp}; ITC logits are similarities / temp), or null. */
    public Float temperature() {
        return temperature;
    }

    /** A manager for one call's arrays: close it when the call is over. */
    public NDManager newManager() {
        return manager.newSubManager();
    }

    /** The element type the weights are kept in (inputs and results are float32 regardless). */
    public DataType dtype() {
        return vision.patchWeight().getDataType();
    }

    /** The frozen ViT's tokens after {@code ln_vision}, [B, N, W], of normalised pixels [B, 3, S, S]. */
    public NDArray encodeImage(NDArray pixels) {
        return Scoped.compute(() -> out(vision.forward(in(pixels))));
    }

    /** The queries' outputs [B, Q, H] over image tokens [B, N, W] ({@code extract_features(mode='image')}). */
    public NDArray encodeQueries(NDArray imageStates) {
        return Scoped.compute(() -> out(qformer.forward(QueryMode.IMAGE, null, null, in(imageStates))));
    }

    /** Unimodal text states [B, T, H] ({@code [CLS]} first; ITC's text side). */
    public NDArray encodeText(NDArray ids, NDArray mask) {
        return Scoped.compute(() -> out(qformer.forward(QueryMode.TEXT, ids, mask, null)));
    }

    /**
     * The queries' outputs [R, Q, H] after running with each text row and cross-attending to its
     * image ({@code extract_features(mode='multimodal')}, what ITM reads).
     *
     * @param ids [R, T] token ids, {@code [CLS]} first
     * @param imageStates [R / g, N, W] image tokens, each row serving g consecutive text rows (one
     *     image for every text, or one per text)
     */
    public NDArray encodeMultimodal(NDArray ids, NDArray mask, NDArray imageStates) {
        int q = qformer.queries();
        return Scoped.compute(
                () -> out(qformer.forward(QueryMode.MULTIMODAL, ids, mask, in(imageStates)).get(":, :{}", q)));
    }

    /** {@code normalize(vision_proj(queries))}, [B, Q, D]: one ITC vector per query. */
    public NDArray queryEmbeddings(NDArray queryStates) {
        return Scoped.compute(() -> out(Blip.normalize(visionProj.apply(in(queryStates)))));
    }

    /** {@code normalize(text_proj(states))} of every token, [B, T, D]. */
    public NDArray textEmbeddings(NDArray textStates) {
        return Scoped.compute(() -> out(Blip.normalize(textProj.apply(in(textStates)))));
    }

    /** ITC text embedding: {@code normalize(text_proj(text [CLS]))}, [B, D]. */
    public NDArray textEmbedding(NDArray textStates) {
        return Scoped.compute(() -> textEmbeddings(textStates.get(":, 0:1, :")).squeeze(1));
    }

    /** ITC image embeddings [B, Q, D] of image tokens: the queries' {@link #queryEmbeddings}. */
    @Override
    public NDArray imageEmbeddings(NDArray imageStates) {
        return Scoped.compute(() -> queryEmbeddings(encodeQueries(imageStates)));
    }

    @Override
    public NDArray itmLogits(NDArray imageStates, NDArray ids, NDArray mask) {
        return Scoped.compute(() -> itmLogits(encodeMultimodal(ids, mask, imageStates)));
    }

    /** ITM logits [R, 2] (index 1 = match): {@code itm_head} on each query's multimodal output, averaged. */
    public NDArray itmLogits(NDArray multimodalQueries) {
        return Scoped.compute(() -> out(itmHead.apply(in(multimodalQueries)).mean(new int[] {1})));
    }

    /** An input in the weights' type (the same array when it already is). */
    private NDArray in(NDArray x) {
        return x.toType(dtype(), false);
    }

    /** A result as float32 (the same array when it already is). */
    private static NDArray out(NDArray x) {
        return x.toType(DataType.FLOAT32, false);
    }

    @Override
    public void close() {
        manager.close();
    }
}
