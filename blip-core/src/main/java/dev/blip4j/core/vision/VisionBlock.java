package dev.blip4j.core.vision;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import dev.blip4j.core.nn.Attention;
import dev.blip4j.core.nn.LayerNorm;
import dev.blip4j.core.nn.Linear;
import dev.blip4j.core.nn.Mlp;

/**
 * A pre-norm ViT block: {@code x + attn(norm1(x))}, then {@code x + mlp(norm2(x))}.
 *
 * @param qkv fused query/key/value projection [3W, W], rows ordered q, k, v as in the checkpoint
 * @param proj attention output projection
 */
public record VisionBlock(LayerNorm norm1, Linear qkv, Linear proj, int heads, LayerNorm norm2, Mlp mlp) {

    public NDArray forward(NDArray x) {
        x = x.add(attention(norm1.apply(x)));
        return x.add(mlp.apply(norm2.apply(x)));
    }

    private NDArray attention(NDArray x) {
        NDArray fused = qkv.apply(x);
        NDList qkvParts = fused.split(3, fused.getShape().dimension() - 1);
        NDArray q = Attention.splitHeads(qkvParts.get(0), heads);
        NDArray k = Attention.splitHeads(qkvParts.get(1), heads);
        NDArray v = Attention.splitHeads(qkvParts.get(2), heads);
        return proj.apply(Attention.mergeHeads(Attention.attend(q, k, v, null)));
    }
}
