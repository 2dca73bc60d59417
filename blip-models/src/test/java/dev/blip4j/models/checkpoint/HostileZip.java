package dev.blip4j.models.checkpoint;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * Torch-style zips that {@link java.util.zip.ZipOutputStream} refuses to write: entries of one
 * name twice, and deflated storages that inflate to gigabytes from a few kilobytes. Written byte by
 * byte (local headers, data, central directory), so every field is what the test says.
 */
final class HostileZip {

    /** One entry: its name, whether deflated, its bytes as stored, its CRC and inflated size. */
    record Entry(String name, boolean deflated, byte[] stored, long crc, long size) {}

    private final List<Entry> entries = new ArrayList<>();

    /** A stored (uncompressed) entry. */
    HostileZip stored(String name, byte[] data) {
        CRC32 crc = new CRC32();
        crc.update(data);
        entries.add(new Entry(name, false, data, crc.getValue(), data.length));
        return this;
    }

    /**
     * A deflated entry of {@code megabytes} MiB of zeros, a few hundred bytes per MiB: one flushed
     * deflate segment of a MiB of zeros decodes the same wherever the previous 32 KiB are zeros, so
     * it is repeated instead of compressing gigabytes.
     */
    HostileZip deflatedZeros(String name, int megabytes) {
        Deflater d = new Deflater(Deflater.BEST_COMPRESSION, true);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] window = new byte[32 << 10];
        byte[] mib = new byte[1 << 20];
        out.writeBytes(deflate(d, window, Deflater.SYNC_FLUSH));
        byte[] segment = deflate(d, mib, Deflater.SYNC_FLUSH);
        for (int i = 0; i < megabytes; i++) {
            out.writeBytes(segment);
        }
        out.writeBytes(finish(d));
        d.end();
        long size = window.length + (long) megabytes * mib.length;
        CRC32 crc = new CRC32();
        crc.update(window);
        for (int i = 0; i < megabytes; i++) {
            crc.update(mib);
        }
        entries.add(new Entry(name, true, out.toByteArray(), crc.getValue(), size));
        return this;
    }

    /** A deflated entry claiming {@code size} bytes whose data is no deflate stream at all. */
    HostileZip corrupt(String name, long size) {
        byte[] garbage = new byte[8];
        java.util.Arrays.fill(garbage, (byte) 0xff);
        entries.add(new Entry(name, true, garbage, 0, size));
        return this;
    }

    /** Bytes of zeros {@link #deflatedZeros} decodes to. */
    static long deflatedZerosSize(int megabytes) {
        return (32 << 10) + ((long) megabytes << 20);
    }

    /** A torch archive: {@code archive/data.pkl}, then the given storages, stored. */
    static HostileZip torch(byte[] pickle, Map<String, byte[]> storages) {
        HostileZip zip = new HostileZip().stored("archive/data.pkl", pickle);
        storages.forEach((key, data) -> zip.stored("archive/data/" + key, data));
        return zip;
    }

    Path write(Path file) throws IOException {
        try (OutputStream os = Files.newOutputStream(file)) {
            ByteArrayOutputStream central = new ByteArrayOutputStream();
            long offset = 0;
            for (Entry e : entries) {
                byte[] name = e.name().getBytes(StandardCharsets.UTF_8);
                byte[] local = header(0x04034b50, e, name, -1);
                os.write(local);
                os.write(e.stored());
                central.writeBytes(header(0x02014b50, e, name, offset));
                offset += local.length + e.stored().length;
            }
            byte[] cd = central.toByteArray();
            os.write(cd);
            ByteBuffer end = le(22).putInt(0x06054b50).putShort((short) 0).putShort((short) 0)
                    .putShort((short) entries.size()).putShort((short) entries.size()).putInt(cd.length)
                    .putInt((int) offset).putShort((short) 0);
            os.write(end.array());
        }
        return file;
    }

    /** A local header ({@code offset} -1) or central directory record. */
    private static byte[] header(int signature, Entry e, byte[] name, long offset) {
        boolean central = offset >= 0;
        ByteBuffer b = le((central ? 46 : 30) + name.length).putInt(signature);
        if (central) {
            b.putShort((short) 20); // made by
        }
        b.putShort((short) 20).putShort((short) 0).putShort((short) (e.deflated() ? 8 : 0))
                .putShort((short) 0).putShort((short) 0x21) // time, date: 1980-01-01
                .putInt((int) e.crc()).putInt(e.stored().length).putInt((int) e.size())
                .putShort((short) name.length).putShort((short) 0);
        if (central) {
            b.putShort((short) 0).putShort((short) 0).putShort((short) 0).putInt(0).putInt((int) offset);
        }
        return b.put(name).array();
    }

    private static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Deflates {@code input} and flushes: the output ends on a byte boundary, a block closed. */
    private static byte[] deflate(Deflater d, byte[] input, int flush) {
        d.setInput(input);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[64 << 10];
        int n;
        do {
            n = d.deflate(buf, 0, buf.length, flush);
            out.write(buf, 0, n);
        } while (n == buf.length);
        return out.toByteArray();
    }

    private static byte[] finish(Deflater d) {
        d.finish();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[1 << 10];
        while (!d.finished()) {
            out.write(buf, 0, d.deflate(buf));
        }
        return out.toByteArray();
    }
}
