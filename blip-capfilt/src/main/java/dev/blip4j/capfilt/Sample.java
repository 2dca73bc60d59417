package dev.blip4j.capfilt;

import dev.blip4j.core.ArrayText;
import java.io.Serializable;

/**
 * One input of CapFilt: an image, maybe its web text, and the input's other fields, as read by
 * {@link SampleReader}. Serializable so that a distributed engine can ship samples between workers.
 *
 * @param key stable identifier: the JSON Lines record's {@code key} or {@code id}, else
 *     {@code <file>:<line>}; a WebDataset sample's {@code __key__}. Sampling seeds derive from it.
 * @param image the image reference written to the output: the JSON Lines {@code image} value as
 *     given, or {@code <shard>#<member>} for a WebDataset sample
 * @param location where to read the image when {@code imageBytes} is null: a file path (relative
 *     paths already resolved against the JSON Lines file's folder) or an http(s) URL
 * @param imageBytes the encoded image, for samples read from a tar shard
 * @param text the web text; null when the input has none (images only)
 * @param extra the input's other fields as a JSON object, in input order, carried to the output
 * @param error why the sample could not be read (a malformed line, a corrupt shard), else null
 */
public record Sample(String key, String image, String location, byte[] imageBytes, String text, String extra,
        String error) implements Serializable {

    private static final long serialVersionUID = 1L;

    /** The {@code extra} of a sample without other fields. */
    public static final String NO_EXTRA = "{}";

    public Sample {
        if (key == null) {
            throw new IllegalArgumentException("a sample needs a key");
        }
        if (extra == null) {
            extra = NO_EXTRA;
        }
    }

    /** A sample from an image file or URL. */
    public static Sample of(String key, String image, String text) {
        return new Sample(key, image, image, null, text, NO_EXTRA, null);
    }

    /** A sample that could not be read; it becomes one error row. */
    static Sample failed(String key, String image, String text, String extra, String error) {
        return new Sample(key, image, null, null, text, extra, error);
    }

    @Override
    public String toString() {
        return "Sample[key=" + key + ", image=" + image + ", location=" + location + ", imageBytes="
                + ArrayText.of(imageBytes) + ", text=" + text + ", extra=" + extra + ", error=" + error + "]";
    }
}
