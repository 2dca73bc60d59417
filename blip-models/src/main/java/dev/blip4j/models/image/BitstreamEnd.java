package dev.blip4j.models.image;

import java.io.IOException;
import java.util.Arrays;
import javax.imageio.IIOException;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.ImageInputStreamImpl;

/**
 * The WebP decoder's view of the file: the data, then {@link #LOOKAHEAD} bytes of zeros, then an
 * {@link Exhausted} error.
 *
 * <p>TwelveMonkeys' lossless bit reader keeps a 64-bit window filled ahead of what it decodes and
 * treats an end of file as "pad with zeros", at the price of one caught EOFException per symbol
 * read after it. A stream that needs more bits than the file holds therefore decodes at
 * exception speed: a 1.6 kB fuzzed file declaring 96x9245 pixels took over 20 s. libwebp refuses
 * such a file (bitstream error). Serving the window's lookahead as zeros keeps every valid file
 * decoding exactly as before (its bits all lie before the end) without exceptions, and a decoder
 * that wants more than that is reading bits that do not exist: it is stopped at once. The data
 * stream stays its owner's to close.
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
    private final byte[] single = new byte[1];
    private long end = Long.MAX_VALUE; // known once a read comes back short

    BitstreamEnd(ImageInputStream data) throws IOException {
        this.data = data;
        long length = data.length();
        if (length >= 0) {
            end = length;
        }
    }

    @Override
    public int read() throws IOException {
        byte[] one = single;
        read(one, 0, 1);
        return one[0] & 0xFF;
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
        while (n < len && streamPos < end) {
            if (data.getStreamPosition() != streamPos) {
                data.seek(streamPos);
            }
            int r = data.read(b, off + n, (int) Math.min(len - n, end - streamPos));
            if (r <= 0) {
                end = streamPos;
                break;
            }
            streamPos += r;
            n += r;
        }
        if (n == len) {
            return n;
        }
        long left = end + LOOKAHEAD - streamPos; // the data has ended: end is known
        if (left <= 0) {
            if (n > 0) {
                return n;
            }
            throw new Exhausted(end);
        }
        int zeros = (int) Math.min(len - n, left);
        Arrays.fill(b, off + n, off + n + zeros, (byte) 0);
        streamPos += zeros;
        return n + zeros;
    }

    @Override
    public long length() {
        return end == Long.MAX_VALUE ? -1 : end;
    }
}
