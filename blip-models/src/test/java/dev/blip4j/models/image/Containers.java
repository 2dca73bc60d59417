package dev.blip4j.models.image;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Image containers that hold other images, as hostile files use them: BMP with BI_PNG/BI_JPEG, ICO. */
final class Containers {

    static final int BI_JPEG = 4;
    static final int BI_PNG = 5;

    private Containers() {}

    /**
     * A BMP whose header says {@code width x height} and whose pixel data is {@code embedded} (a
     * whole PNG or JPEG file) under the given compression.
     */
    static byte[] bmp(int width, int height, int compression, byte[] embedded) {
        int offset = 14 + 40;
        ByteBuffer b = ByteBuffer.allocate(offset + embedded.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 'B').put((byte) 'M').putInt(offset + embedded.length).putInt(0).putInt(offset);
        b.putInt(40).putInt(width).putInt(height).putShort((short) 1).putShort((short) 0).putInt(compression)
                .putInt(embedded.length).putInt(2835).putInt(2835).putInt(0).putInt(0);
        return b.put(embedded).array();
    }

    /** An ICO with one entry, {@code image} (a PNG, or a BMP without its file header). */
    static byte[] ico(int width, int height, byte[] image) {
        int offset = 6 + 16;
        ByteBuffer b = ByteBuffer.allocate(offset + image.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort((short) 0).putShort((short) 1).putShort((short) 1);
        b.put((byte) (width >= 256 ? 0 : width)).put((byte) (height >= 256 ? 0 : height)).put((byte) 0).put((byte) 0)
                .putShort((short) 1).putShort((short) 32).putInt(image.length).putInt(offset);
        return b.put(image).array();
    }
}
