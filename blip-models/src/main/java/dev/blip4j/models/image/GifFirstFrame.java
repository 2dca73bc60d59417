package dev.blip4j.models.image;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes the first frame of a GIF the way Pillow 9.4 ({@code GifImagePlugin} frame 0 and
 * {@code GifDecode.c}) does, without ImageIO.
 *
 * <p>ImageIO's GIF reader is not used for two reasons: it returns only the frame's own rectangle,
 * while Pillow returns the whole logical screen; and it decodes interlaced frames of height 4 or
 * less wrongly (it does not skip the empty interlace passes, so rows land in the wrong place).
 *
 * <p>What Pillow produces for frame 0: a canvas of the logical screen size (enlarged if the frame
 * sticks out), pre-filled with the frame's transparent index if its Graphic Control Extension has
 * one and with index 0 otherwise; the frame's pixels written at its offset (transparent pixels
 * included - frame 0 is not composited); indices mapped through the local colour table, else the
 * global one, where entries the table lacks keep Pillow's initial grey ramp {@code (i, i, i)} - so
 * a GIF without any table reads as greyscale indices. Decoding stops as soon as the frame is full;
 * data that ends first is reported as truncated, as Pillow reports it. Later frames are never read.
 */
final class GifFirstFrame {

    /** Largest LZW table, as in GIF and GifDecode.c ({@code GIFTABLE}). */
    private static final int TABLE = 4096;

    final int canvasWidth;
    final int canvasHeight;
    final int frameWidth;
    final int frameHeight;
    private final int left;
    private final int top;
    private final boolean interlaced;
    private final int fillIndex;
    private final int[] lut;
    private final int codeBits;

    /** Why frame data could not be decoded. */
    static final class BadData extends Exception {
        private static final long serialVersionUID = 1L;
        final boolean truncated;

        BadData(boolean truncated, String message) {
            super(message);
            this.truncated = truncated;
        }
    }

    private GifFirstFrame(int canvasWidth, int canvasHeight, int frameWidth, int frameHeight, int left, int top,
            boolean interlaced, int fillIndex, int[] lut, int codeBits) {
        this.canvasWidth = canvasWidth;
        this.canvasHeight = canvasHeight;
        this.frameWidth = frameWidth;
        this.frameHeight = frameHeight;
        this.left = left;
        this.top = top;
        this.interlaced = interlaced;
        this.fillIndex = fillIndex;
        this.lut = lut;
        this.codeBits = codeBits;
    }

    /** Whether {@code head} starts with a GIF signature (Pillow's {@code _accept}). */
    static boolean isGif(byte[] head, int n) {
        return n >= 6 && head[0] == 'G' && head[1] == 'I' && head[2] == 'F' && head[3] == '8'
                && (head[4] == '7' || head[4] == '9') && head[5] == 'a';
    }

    /**
     * Reads the screen descriptor, colour tables and extensions up to the first image's LZW code
     * size, leaving {@code in} at the start of its data sub-blocks. Reads no pixel data.
     *
     * @throws EOFException if the file ends before the first image descriptor
     * @throws BadData if there is no image at all
     */
    static GifFirstFrame readHeaders(ImageInputStream in) throws IOException, BadData {
        in.setByteOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
        try {
            in.seek(6);
            int screenWidth = in.readUnsignedShort();
            int screenHeight = in.readUnsignedShort();
            int flags = in.readUnsignedByte();
            in.readUnsignedByte(); // background index: not used for frame 0
            in.readUnsignedByte(); // aspect ratio
            int[] lut = new int[256];
            for (int i = 0; i < 256; i++) {
                lut[i] = i * 0x010101;
            }
            int[] global = (flags & 0x80) != 0 ? readTable(in, flags & 7) : null;
            int transparent = -1;
            while (true) {
                int block = in.read();
                if (block < 0) {
                    throw new EOFException("GIF ends before its first image");
                }
                if (block == 0x3B) {
                    throw new BadData(false, "GIF file contains no image");
                }
                if (block == 0x21) {
                    int label = in.readUnsignedByte();
                    int size = in.readUnsignedByte();
                    if (label == 0xF9 && size >= 4) {
                        int gceFlags = in.readUnsignedByte();
                        in.readUnsignedShort(); // delay
                        int index = in.readUnsignedByte();
                        transparent = (gceFlags & 1) != 0 ? index : -1;
                        in.skipBytes(size - 4);
                    } else {
                        in.skipBytes(size);
                    }
                    while ((size = in.readUnsignedByte()) != 0) {
                        in.skipBytes(size);
                    }
                } else if (block == 0x2C) {
                    int left = in.readUnsignedShort();
                    int top = in.readUnsignedShort();
                    int width = in.readUnsignedShort();
                    int height = in.readUnsignedShort();
                    int imageFlags = in.readUnsignedByte();
                    int[] local = (imageFlags & 0x80) != 0 ? readTable(in, imageFlags & 7) : null;
                    int[] table = local != null ? local : global;
                    if (table != null) {
                        System.arraycopy(table, 0, lut, 0, Math.min(table.length, 256));
                    }
                    int bits = in.readUnsignedByte();
                    return new GifFirstFrame(Math.max(screenWidth, left + width), Math.max(screenHeight, top + height),
                            width, height, left, top, (imageFlags & 0x40) != 0,
                            transparent >= 0 ? transparent : 0, lut, bits);
                }
                // Any other byte is skipped, as Pillow's _seek loop does.
            }
        } finally {
            in.setByteOrder(java.nio.ByteOrder.BIG_ENDIAN);
        }
    }

    private static int[] readTable(ImageInputStream in, int sizeBits) throws IOException {
        int n = 2 << sizeBits;
        byte[] rgb = new byte[3 * n];
        in.readFully(rgb);
        int[] table = new int[n];
        for (int i = 0; i < n; i++) {
            table[i] = (rgb[3 * i] & 0xFF) << 16 | (rgb[3 * i + 1] & 0xFF) << 8 | (rgb[3 * i + 2] & 0xFF);
        }
        return table;
    }

    /** Reads the frame data from {@code in} (positioned by {@link #readHeaders}) and builds the canvas. */
    RgbImage decode(ImageInputStream in) throws IOException, BadData {
        if (codeBits > 12) {
            throw new BadData(false, "LZW code size " + codeBits + " is larger than 12");
        }
        ByteArrayOutputStream compressed = new ByteArrayOutputStream();
        boolean cut = false;
        byte[] block = new byte[255];
        while (true) {
            int size = in.read();
            if (size < 0) {
                cut = true;
                break;
            }
            if (size == 0) {
                break;
            }
            int got = 0;
            while (got < size) {
                int r = in.read(block, got, size - got);
                if (r < 0) {
                    break;
                }
                got += r;
            }
            compressed.write(block, 0, got);
            if (got < size) {
                cut = true;
                break;
            }
        }
        byte[] indices = new byte[frameWidth * frameHeight];
        if (frameWidth > 0 && frameHeight > 0 && !lzw(compressed.toByteArray(), indices)) {
            throw new BadData(true, cut ? "the image data ends before the first frame is complete"
                    : "the LZW data ends before the first frame is complete");
        }
        return compose(indices);
    }

    /**
     * Pillow's LZW decoder: writes pixels in (interlaced) row order and returns true once every
     * row is written, false if the codes run out or an end code comes first.
     */
    private boolean lzw(byte[] src, byte[] out) throws BadData {
        int clear = 1 << codeBits;
        int end = clear + 1;
        byte[] suffix = new byte[TABLE];
        int[] prefix = new int[TABLE];
        byte[] stack = new byte[TABLE];
        int next = 0;
        int codeSize = 0;
        int codeMask = 0;
        int state = 1;
        int lastCode = 0;
        int lastData = 0;
        long bitBuffer = 0;
        int bitCount = 0;
        int pos = 0;
        // Output position and interlace state (NEWLINE in GifDecode.c).
        int x = 0;
        int y = 0;
        int step = interlaced ? 8 : 1;
        int pass = interlaced ? 1 : 0;
        int w = frameWidth;
        int h = frameHeight;
        while (true) {
            if (state == 1) {
                next = clear + 2;
                codeSize = codeBits + 1;
                codeMask = (1 << codeSize) - 1;
                state = 2;
            }
            while (bitCount < codeSize) {
                if (pos >= src.length) {
                    return false;
                }
                bitBuffer |= (long) (src[pos++] & 0xFF) << bitCount;
                bitCount += 8;
            }
            int c = (int) bitBuffer & codeMask;
            bitBuffer >>>= codeSize;
            bitCount -= codeSize;
            if (c == clear) {
                if (state != 2) {
                    state = 1;
                }
                continue;
            }
            if (c == end) {
                return false;
            }
            int stackTop = TABLE;
            if (state == 2) {
                if (c > clear) {
                    throw new BadData(false, "LZW code " + c + " after a clear code");
                }
                lastData = c;
                lastCode = c;
                state = 3;
            } else {
                int thisCode = c;
                if (c > next) {
                    throw new BadData(false, "LZW code " + c + " is not yet defined");
                }
                if (c == next) {
                    stack[--stackTop] = (byte) lastData;
                    c = lastCode;
                }
                while (c >= clear) {
                    if (stackTop <= 0 || c >= TABLE) {
                        throw new BadData(false, "LZW string too long");
                    }
                    stack[--stackTop] = suffix[c];
                    c = prefix[c];
                }
                lastData = c;
                if (next < TABLE) {
                    suffix[next] = (byte) c;
                    prefix[next] = lastCode;
                    if (next == codeMask && codeSize < 12) {
                        codeSize++;
                        codeMask = (1 << codeSize) - 1;
                    }
                    next++;
                }
                lastCode = thisCode;
            }
            // Emit the string: its first byte, then the rest from the stack.
            for (int i = stackTop - 1; i < TABLE; i++) {
                out[y * w + x] = i < stackTop ? (byte) lastData : stack[i];
                if (++x >= w) {
                    x = 0;
                    y += step;
                    while (y >= h) {
                        switch (pass) {
                            case 1 -> { y = 4; pass = 2; }
                            case 2 -> { step = 4; y = 2; pass = 3; }
                            case 3 -> { step = 2; y = 1; pass = 0; }
                            default -> {
                                return true;
                            }
                        }
                    }
                }
            }
        }
    }

    /** Canvas pre-filled with the fill index, the frame pasted at its offset, mapped to RGB. */
    private RgbImage compose(byte[] indices) {
        int w = canvasWidth;
        byte[] out = new byte[3 * w * canvasHeight];
        int fill = lut[fillIndex];
        for (int i = 0; i < out.length; i += 3) {
            out[i] = (byte) (fill >> 16);
            out[i + 1] = (byte) (fill >> 8);
            out[i + 2] = (byte) fill;
        }
        for (int y = 0; y < frameHeight; y++) {
            int o = ((top + y) * w + left) * 3;
            int s = y * frameWidth;
            for (int x = 0; x < frameWidth; x++, o += 3) {
                int c = lut[indices[s + x] & 0xFF];
                out[o] = (byte) (c >> 16);
                out[o + 1] = (byte) (c >> 8);
                out[o + 2] = (byte) c;
            }
        }
        return new RgbImage(w, canvasHeight, out);
    }
}
