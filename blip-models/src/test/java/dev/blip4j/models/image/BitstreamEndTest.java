package dev.blip4j.models.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.twelvemonkeys.imageio.stream.ByteArrayImageInputStream;
import java.io.IOException;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The WebP decoder's stream: the data, then 32 zero bytes, then an error; any position readable again. */
class BitstreamEndTest {

    private static byte[] data(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    @Test
    void readsTheDataThenZerosThenRefuses() throws IOException {
        byte[] data = data(100);
        BitstreamEnd in = new BitstreamEnd(new ByteArrayImageInputStream(data));
        for (byte b : data) {
            assertEquals(b & 0xFF, in.read());
        }
        for (int i = 0; i < BitstreamEnd.LOOKAHEAD; i++) {
            assertEquals(0, in.read(), "lookahead byte " + i);
        }
        assertThrows(BitstreamEnd.Exhausted.class, in::read);
        assertEquals(100, in.length());
        in.seek(96); // ImageIO's readLong across the end: four bytes of data, four of the lookahead
        in.setByteOrder(ByteOrder.LITTLE_ENDIAN);
        long v = in.readLong();
        for (int i = 0; i < 8; i++) {
            assertEquals(i < 4 ? data[96 + i] & 0xFF : 0, (int) (v >>> (8 * i)) & 0xFF, "byte " + i);
        }
        in.seek(100 + BitstreamEnd.LOOKAHEAD - 3);
        byte[] tail = new byte[8];
        assertEquals(3, in.read(tail, 0, 8));
        assertThrows(BitstreamEnd.Exhausted.class, () -> in.read(tail, 0, 8));
    }

    @Test
    void bulkAndSingleReadsAgreeAcrossItsBuffer() throws IOException {
        byte[] data = data(200_001); // three refills of the 64 KB buffer and a partial one
        BitstreamEnd in = new BitstreamEnd(new ByteArrayImageInputStream(data));
        byte[] got = new byte[data.length];
        int n = 0;
        Random random = new Random(5);
        while (n < data.length) {
            if (random.nextBoolean()) {
                got[n++] = (byte) in.read();
            } else {
                n += in.read(got, n, Math.min(data.length - n, 1 + random.nextInt(40_000)));
            }
        }
        assertArrayEquals(data, got);
        in.seek(65_530); // back into an earlier buffer's range
        byte[] again = new byte[20];
        in.readFully(again);
        assertArrayEquals(Arrays.copyOfRange(data, 65_530, 65_550), again);
        byte[] past = new byte[40];
        in.seek(data.length - 1);
        assertEquals(1 + BitstreamEnd.LOOKAHEAD, in.read(past, 0, 40));
        assertEquals(data[data.length - 1], past[0]);
    }
}
