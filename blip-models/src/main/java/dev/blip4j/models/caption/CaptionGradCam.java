package dev.blip4j.models.caption;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.blip4j.core.Blip;
import dev.blip4j.core.BlipEngine;
import dev.blip4j.core.InputException;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.gradcam.AttentionLeaf;
import dev.blip4j.models.gradcam.GradCam;
import dev.blip4j.models.image.RgbImage;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Grad-CAM of a caption, blip4j's own (there is no reference implementation): for each generated
 * token k, its log-probability given the tokens before it (the model's {@code log_softmax}, before
 * any search processor) is backpropagated to the decoder's cross-attention probabilities at one
 * layer, and token k's map is the row of the position that predicted it:
 * {@code mean over heads of p * clamp(dlogp_k / dp, 0)}, image {@code [CLS]} dropped. One batched
 * pass does every token: row k of the batch is the caption, and only token k's log-probability is
 * taken from it, so rows cannot mix. Words are the generated tokens other than special ones ({@code [SEP]}).
 */
final class CaptionGradCam {

    private CaptionGradCam() {}

    static GradCam explain(BlipModel model, long[] promptIds, RgbImage image, Caption caption, int layer) {
        long[] ids = caption.tokenIds();
        int prompt = promptIds.length;
        if (ids.length < prompt || !Arrays.equals(Arrays.copyOf(ids, prompt), promptIds)) {
            throw new InputException("the caption \"" + caption.text() + "\" does not start with this captioner's "
                    + "prompt, so it was not made by it");
        }
        int generated = ids.length - prompt;
        List<String> tokens = model.tokenizer().tokens(Arrays.copyOfRange(ids, prompt, ids.length));
        int[] words = IntStream.range(0, generated).filter(k -> !model.tokenizer().isSpecialId(ids[prompt + k]))
                .toArray();
        Blip net = model.network();
        try (NDManager m = net.newManager()) {
            NDArray states = net.encodeImage(model.pixels(List.of(image), m));
            int patches = Math.toIntExact(states.getShape().get(1)) - 1;
            if (generated == 0) {
                return GradCam.of(layer, patches, tokens, new float[0], words);
            }
            int length = ids.length - 1;
            long[] input = new long[generated * length];
            for (int k = 0; k < generated; k++) {
                System.arraycopy(ids, 0, input, k * length, length);
            }
            NDArray rows = m.create(input, new Shape(generated, length));
            NDArray images = states.repeat(0, generated);
            AttentionLeaf leaf = new AttentionLeaf(m);
            BlipEngine.withGradients(gradients -> {
                NDArray logits = net.decoderLogits(rows, null, images, null, leaf.at(layer));
                NDList logProbs = new NDList(generated);
                for (int k = 0; k < generated; k++) {
                    int position = prompt + k - 1;
                    logProbs.add(logits.get(new NDIndex("{}, {}", k, position)).logSoftmax(0)
                            .get(new NDIndex("{}", ids[prompt + k])));
                }
                gradients.backward(NDArrays.stack(logProbs).sum());
                return null;
            });
            float[] cam = leaf.gradCam().toType(DataType.FLOAT32, false).toFloatArray();
            float[] maps = new float[generated * patches];
            for (int k = 0; k < generated; k++) {
                int position = prompt + k - 1;
                System.arraycopy(cam, (k * length + position) * patches, maps, k * patches, patches);
            }
            return GradCam.of(layer, patches, tokens, maps, words);
        }
    }
}
