package dev.blip4j.models.image;

import java.io.IOException;
import java.util.Arrays;
import javax.imageio.IIOException;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.ImageInputStreamImpl;

/**
 * The WebP decoder's view of the file: its bytes, then {@link #LOOKAHEAD} bytes of zeros, then an
 * {@link Exhausted} error.
 *
 * <p>TwelveMonkeys' lossless bit reader keeps a 64-bit window filled ahead of what it decodes and
 * treats an end of file as "pad with zeros", at the price of one caught EOFException per symbol
 * read after it. A stream that needs more bits than the file holds therefore decodes at
 * exception speed: a 1.6 kB fuzzed file declaring 96x9245 pixels took over 20 s. libwebp refuses
 * such a file (bitstream error). Serving the window's lookahead as zeros keeps every valid file
 * decoding exactly as before (its bits all lie before the end) without exceptions, and a decoder
 * that wants more than that is reading bits that do not exist: it is stopped at once. It buffers the
 * data itself: the bit reader reads one byte per call, and forwarding each call to the buffered
 * stream below cost 30 % of a large lossless decode.
 */
final class BitstreamEnd extends ImageInputStreamImpl {

    /** Bytes past the end that read as zeros: the bit reader's 8-byte window, its 8-byte probe, slack. */
    static final int LOOKAHEAD = 32;

    /** A decoder read more than {@link #LOOKAHEAD} bytes past the end of the data. */
    static final class Exhausted extends IIOException {
        Exhausted(long end) {
            super("the bitstream needs more data than the " + end + " bytes the file holds");
        }
    }

    private final ImageInputStream data;
    /** The data from {@link #bufferStart}: the bit reader reads one byte per call. */
    private final byte[] buffer = new byte[1 << 16];
    private long bufferStart;
    private int buffered;
    private long end = Long.MAX_VALUE; // known once the data runs out

    /** Reads {@code data} from its first byte; the caller keeps it and closes it. */
    BitstreamEnd(ImageInputStream data) {
        this.data = data;
    }

    @Override
    public int read() throws IOException {
        checkClosed();
        bitOffset = 0;
        long at = streamPos - bufferStart;
        if (at < 0 || at >= buffered) {
            if (!fill()) {
                streamPos += zeros(1);
                return 0;
            }
            at = 0;
        }
        streamPos++;
        return buffer[(int) at] & 0xFF;
    }

    /**
     * Fills {@code b} as far as the data and the lookahead allow: ImageIO's {@code readInt} and
     * {@code readLong} take a short count for the end of the file.
     */
    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        checkClosed();
        bitOffset = 0;
        int n = 0;
        while (n < len) {
            long at = streamPos - bufferStart;
            if (at < 0 || at >= buffered) {
                if (!fill()) {
                    break;
                }
                at = 0;
            }
            int take = (int) Math.min(len - n, buffered - at);
            System.arraycopy(buffer, (int) at, b, off + n, take);
            streamPos += take;
            n += take;
        }
        if (n == len) {
            return n;
        }
        int zeros = zeros(len - n);
        Arrays.fill(b, off + n, off + n + zeros, (byte) 0);
        streamPos += zeros;
        return n + zeros;
    }

    /** Buffers the data from the position on; false at or past its end. */
    private boolean fill() throws IOException {
        if (streamPos >= end) {
            return false;
        }
        data.seek(streamPos);
        int total = 0;
        for (int r; total < buffer.length && (r = data.read(buffer, total, buffer.length - total)) > 0; ) {
            total += r;
        }
        bufferStart = streamPos;
        buffered = total;
        if (total < buffer.length) {
            end = streamPos + total;
        }
        return total > 0;
    }

    /** How many of {@code wanted} bytes at the position, past the end, still read as zeros (at least one). */
    private int zeros(int wanted) throws Exhausted {
        long left = end + LOOKAHEAD - streamPos;
        if (left <= 0) {
            throw new Exhausted(end);
        }
        return (int) Math.min(wanted, left);
    }

    @Override
    public long length() {
        if (end != Long.MAX_VALUE) {
            return end;
        }
        try {
            return data.length();
        } catch (IOException e) {
            return -1;
        }
    }
}
