package dev.blip4j.core.generate;

/** Log-softmax of one row of logits, in float like PyTorch's CPU kernel, with a double accumulator. */
final class LogSoftmax {

    private LogSoftmax() {}

    static float[] of(float[] logits) {
        float max = Float.NEGATIVE_INFINITY;
        for (float x : logits) {
            max = Math.max(max, x);
        }
        double sum = 0;
        for (float x : logits) {
            sum += Math.exp(x - max);
        }
        float logSum = (float) Math.log(sum);
        float[] out = new float[logits.length];
        for (int i = 0; i < logits.length; i++) {
            out[i] = (logits[i] - max) - logSum;
        }
        return out;
    }
}
