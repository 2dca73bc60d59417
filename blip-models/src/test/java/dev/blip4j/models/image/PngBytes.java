package dev.blip4j.models.image;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;

/**
 * Hand-made PNG files for tests: exact control over bit depth, colour type, PLTE length, eXIf and
 * header fields that ImageIO's writer would not produce (16-bit, short palettes, huge or zero sizes).
 */
final class PngBytes {

    static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    PngBytes() {
        out.writeBytes(SIGNATURE);
    }

    PngBytes ihdr(long width, long height, int bitDepth, int colorType) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        writeInt(b, width);
        writeInt(b, height);
        b.write(bitDepth);
        b.write(colorType);
        b.write(0); // deflate
        b.write(0); // adaptive filtering
        b.write(0); // no interlace
        return chunk("IHDR", b.toByteArray());
    }

    /** Rows of raw samples (no filter bytes); each row gets filter type 0. */
    PngBytes idat(byte[][] rows) {
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        for (byte[] row : rows) {
            raw.write(0);
            raw.writeBytes(row);
        }
        return chunk("IDAT", deflate(raw.toByteArray()));
    }

    PngBytes chunk(String type, byte[] data) {
        writeInt(out, data.length);
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        out.writeBytes(t);
        out.writeBytes(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        writeInt(out, crc.getValue());
        return this;
    }

    byte[] end() {
        chunk("IEND", new byte[0]);
        return out.toByteArray();
    }

    static byte[] deflate(byte[] data) {
        ByteArrayOutputStream z = new ByteArrayOutputStream();
        try (DeflaterOutputStream d = new DeflaterOutputStream(z)) {
            d.write(data);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return z.toByteArray();
    }

    static void writeInt(ByteArrayOutputStream b, long v) {
        b.write((int) (v >>> 24));
        b.write((int) (v >>> 16));
        b.write((int) (v >>> 8));
        b.write((int) v);
    }

    /** Big-endian 16-bit samples. */
    static byte[] u16(int... values) {
        byte[] b = new byte[values.length * 2];
        for (int i = 0; i < values.length; i++) {
            b[2 * i] = (byte) (values[i] >> 8);
            b[2 * i + 1] = (byte) values[i];
        }
        return b;
    }

    static byte[] u8(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    /**
     * Streams an RGB PNG of {@code width x height} whose pixel (x, y) is {@code pixel.rgb(x, y)}
     * without holding the image in memory - for the very large image test.
     */
    static void writeLargeRgb(OutputStream file, int width, int height, PixelFunction pixel) throws IOException {
        DataOutputStream o = new DataOutputStream(file);
        o.write(SIGNATURE);
        ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
        writeInt(ihdr, width);
        writeInt(ihdr, height);
        ihdr.writeBytes(new byte[] {8, 2, 0, 0, 0});
        writeChunk(o, "IHDR", ihdr.toByteArray());
        // One IDAT chunk per ~8 MiB of compressed data, written as the deflater produces it.
        ChunkedIdat idat = new ChunkedIdat(o);
        Deflater deflater = new Deflater(Deflater.BEST_SPEED);
        try (DeflaterOutputStream z = new DeflaterOutputStream(idat, deflater, 1 << 16)) {
            byte[] row = new byte[1 + 3 * width];
            for (int y = 0; y < height; y++) {
                row[0] = 0;
                for (int x = 0, p = 1; x < width; x++, p += 3) {
                    int c = pixel.rgb(x, y);
                    row[p] = (byte) (c >> 16);
                    row[p + 1] = (byte) (c >> 8);
                    row[p + 2] = (byte) c;
                }
                z.write(row);
            }
        } finally {
            deflater.end();
        }
        idat.flushChunk();
        writeChunk(o, "IEND", new byte[0]);
        o.flush();
    }

    interface PixelFunction {
        int rgb(int x, int y);
    }

    private static void writeChunk(DataOutputStream o, String type, byte[] data) throws IOException {
        o.writeInt(data.length);
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        o.write(t);
        o.write(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        o.writeInt((int) crc.getValue());
    }

    /** Collects deflated bytes and emits them as IDAT chunks. */
    private static final class ChunkedIdat extends OutputStream {
        private final DataOutputStream target;
        private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();

        ChunkedIdat(DataOutputStream target) {
            this.target = target;
        }

        @Override
        public void write(int b) throws IOException {
            buffer.write(b);
            maybeFlush();
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            buffer.write(b, off, len);
            maybeFlush();
        }

        private void maybeFlush() throws IOException {
            if (buffer.size() >= 8 << 20) {
                flushChunk();
            }
        }

        void flushChunk() throws IOException {
            if (buffer.size() > 0) {
                writeChunk(target, "IDAT", buffer.toByteArray());
                buffer.reset();
            }
        }

        @Override
        public void close() {
            // the PNG stream stays open; flushChunk() writes what is left
        }
    }
}
