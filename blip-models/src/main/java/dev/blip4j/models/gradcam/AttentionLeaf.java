package dev.blip4j.models.gradcam;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import dev.blip4j.core.text.CrossAttentionProbe;
import java.util.function.UnaryOperator;

/**
 * The cross-attention probabilities of one layer, taken out of the forward pass as a leaf of
 * autograd that requires a gradient and put back in its place: the rest of the pass then depends
 * on them, and a backward pass of the score leaves their gradient here. Only the layers after the
 * leaf are recorded, since no weight requires a gradient. Use one per forward pass.
 */
public final class AttentionLeaf implements UnaryOperator<NDArray> {

    private final NDManager manager;
    private NDArray leaf;

    /** @param manager owns the leaf and its gradient (the call's manager) */
    public AttentionLeaf(NDManager manager) {
        this.manager = manager;
    }

    /** The probe for {@link dev.blip4j.core.Blip}'s forward passes. */
    public CrossAttentionProbe at(int layer) {
        return new CrossAttentionProbe(layer, this);
    }

    @Override
    public NDArray apply(NDArray probabilities) {
        if (leaf != null) {
            throw new IllegalStateException("one attention leaf per forward pass");
        }
        leaf = probabilities.duplicate();
        // the forward pass's scopes would close it; it lives until the backward pass has filled its gradient
        NDScope.unregister(leaf);
        leaf.attach(manager);
        leaf.setRequiresGradient(true);
        return leaf;
    }

    /**
     * Grad-CAM after the backward pass: {@code mean over heads of p * clamp(dp, 0)} with the first
     * memory token (the image {@code [CLS]}) dropped, [rows, tokens, patches], in the leaf's manager.
     */
    public NDArray gradCam() {
        if (leaf == null) {
            throw new IllegalStateException("the forward pass never reached the probed layer");
        }
        NDArray gradient = leaf.getGradient();
        NDArray cam = leaf.mul(gradient.maximum(0f)).mean(new int[] {1}).get(":, :, 1:");
        return cam.stopGradient();
    }
}
