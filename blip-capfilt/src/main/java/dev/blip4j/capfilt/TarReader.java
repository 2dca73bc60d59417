package dev.blip4j.capfilt;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads the regular files of a tar stream in order: POSIX ustar (with the name prefix), GNU long
 * names ({@code L} entries), pax extended headers ({@code x}: {@code path} and {@code size}) and
 * GNU base-256 sizes; directories, links and other entry types are passed over. WebDataset shards
 * (as img2dataset writes them) use nothing else. Header checksums are verified so that a corrupt
 * or non-tar file is reported instead of being read as garbage members.
 *
 * <p>Not thread-safe; one reader per stream.
 */
public final class TarReader implements Closeable {

    /** One regular file of the archive. */
    public record Entry(String name, long size) {}

    private static final int BLOCK = 512;

    private final InputStream in;
    private final String source;
    private long unread;
    private long padding;
    private Entry current;

    /** @param source the archive's name, for messages */
    public TarReader(InputStream in, String source) {
        this.in = in;
        this.source = source;
    }

    /**
     * Advances to the next regular file, skipping what is left of the current one.
     *
     * @return the entry, or null at the end of the archive
     * @throws IOException if the archive is truncated or a header is corrupt (naming the archive)
     */
    public Entry next() throws IOException {
        skipRest();
        String longName = null;
        String paxPath = null;
        long paxSize = -1;
        byte[] header = new byte[BLOCK];
        while (true) {
            int got = in.readNBytes(header, 0, BLOCK);
            if (got == 0) {
                return end();
            }
            if (got < BLOCK) {
                throw new EOFException(source + ": truncated tar header");
            }
            if (isZero(header)) {
                return end();
            }
            verifyChecksum(header);
            char type = (char) header[156];
            long size = size(header);
            if (size < 0) {
                throw new IOException(source + ": negative member size in a tar header");
            }
            switch (type) {
                case 'L' -> {
                    longName = trimNul(new String(readData(size, 1 << 20, "GNU long name"), StandardCharsets.UTF_8));
                    continue;
                }
                case 'x' -> {
                    for (String[] kv : paxRecords(readData(size, 1 << 20, "pax header"))) {
                        if (kv[0].equals("path")) {
                            paxPath = kv[1];
                        } else if (kv[0].equals("size")) {
                            try {
                                paxSize = Long.parseLong(kv[1]);
                            } catch (NumberFormatException e) {
                                throw new IOException(source + ": bad pax size " + kv[1], e);
                            }
                        }
                    }
                    continue;
                }
                default -> {
                    // handled below
                }
            }
            if (paxSize >= 0) {
                size = paxSize;
            }
            String name = paxPath != null ? paxPath : longName != null ? longName : name(header);
            unread = size;
            padding = (BLOCK - size % BLOCK) % BLOCK;
            if (type == '0' || type == '\0' || type == '7') {
                current = new Entry(name, size);
                return current;
            }
            // directories, hard and symbolic links, devices, global pax headers, GNU extras: not files
            skipRest();
            longName = null;
            paxPath = null;
            paxSize = -1;
        }
    }

    /**
     * The current entry's bytes.
     *
     * @param limit largest size accepted
     * @throws IOException if the entry is larger than {@code limit}, already read, or truncated
     */
    public byte[] read(long limit) throws IOException {
        if (current == null) {
            throw new IllegalStateException("no current entry");
        }
        if (current.size() > limit) {
            throw new IOException(source + ": member " + current.name() + " has " + current.size()
                    + " bytes, more than the limit of " + limit);
        }
        if (unread != current.size()) {
            throw new IllegalStateException("entry " + current.name() + " was already read");
        }
        byte[] data = in.readNBytes((int) unread);
        if (data.length < unread) {
            throw new EOFException(source + ": truncated member " + current.name());
        }
        unread = 0;
        return data;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }

    private Entry end() {
        current = null;
        unread = 0;
        padding = 0;
        return null;
    }

    private void skipRest() throws IOException {
        long n = unread + padding;
        unread = 0;
        padding = 0;
        current = null;
        if (n > 0) {
            try {
                in.skipNBytes(n);
            } catch (EOFException e) {
                throw new EOFException(source + ": truncated tar member");
            }
        }
    }

    private byte[] readData(long size, int limit, String what) throws IOException {
        if (size > limit) {
            throw new IOException(source + ": " + what + " of " + size + " bytes");
        }
        byte[] data = in.readNBytes((int) size);
        if (data.length < size) {
            throw new EOFException(source + ": truncated " + what);
        }
        long pad = (BLOCK - size % BLOCK) % BLOCK;
        try {
            in.skipNBytes(pad);
        } catch (EOFException e) {
            throw new EOFException(source + ": truncated " + what);
        }
        return data;
    }

    private String name(byte[] header) {
        String name = field(header, 0, 100);
        boolean ustar = header[257] == 'u' && header[258] == 's' && header[259] == 't' && header[260] == 'a'
                && header[261] == 'r';
        if (ustar) {
            String prefix = field(header, 345, 155);
            if (!prefix.isEmpty()) {
                return prefix + "/" + name;
            }
        }
        return name;
    }

    private long size(byte[] header) throws IOException {
        if ((header[124] & 0x80) != 0) {
            // GNU base-256: big-endian two's complement over the remaining bytes
            long v = header[124] & 0x7f;
            if ((header[124] & 0x40) != 0) {
                throw new IOException(source + ": negative base-256 size in a tar header");
            }
            for (int i = 125; i < 136; i++) {
                if ((v >>> 55) != 0) {
                    throw new IOException(source + ": tar member size overflows");
                }
                v = (v << 8) | (header[i] & 0xff);
            }
            return v;
        }
        return octal(header, 124, 12, "size");
    }

    private void verifyChecksum(byte[] header) throws IOException {
        long stored = octal(header, 148, 8, "checksum");
        long unsigned = 0;
        long signed = 0;
        for (int i = 0; i < BLOCK; i++) {
            int b = i >= 148 && i < 156 ? ' ' : header[i];
            unsigned += b & 0xff;
            signed += i >= 148 && i < 156 ? ' ' : header[i];
        }
        if (stored != unsigned && stored != signed) {
            throw new IOException(source + ": not a tar archive or a corrupt tar header (checksum "
                    + stored + ", computed " + unsigned + ")");
        }
    }

    private long octal(byte[] header, int offset, int length, String what) throws IOException {
        long v = 0;
        int i = offset;
        int end = offset + length;
        while (i < end && (header[i] == ' ' || header[i] == 0)) {
            i++;
        }
        boolean any = false;
        for (; i < end; i++) {
            byte b = header[i];
            if (b == 0 || b == ' ') {
                break;
            }
            if (b < '0' || b > '7') {
                throw new IOException(source + ": not a tar archive (bad octal " + what + " field)");
            }
            v = (v << 3) + (b - '0');
            any = true;
        }
        if (!any && what.equals("checksum")) {
            throw new IOException(source + ": not a tar archive (empty checksum field)");
        }
        return v;
    }

    private static String field(byte[] header, int offset, int length) {
        int end = offset;
        while (end < offset + length && header[end] != 0) {
            end++;
        }
        return new String(header, offset, end - offset, StandardCharsets.UTF_8);
    }

    private static String trimNul(String s) {
        int end = s.indexOf('\0');
        return end < 0 ? s : s.substring(0, end);
    }

    private static boolean isZero(byte[] block) {
        for (byte b : block) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    /** {@code "<length> <key>=<value>\n"} records of a pax header. */
    private java.util.List<String[]> paxRecords(byte[] data) throws IOException {
        java.util.List<String[]> out = new java.util.ArrayList<>();
        int pos = 0;
        while (pos < data.length) {
            int space = pos;
            while (space < data.length && data[space] != ' ') {
                space++;
            }
            int length;
            try {
                length = Integer.parseInt(new String(data, pos, space - pos, StandardCharsets.US_ASCII));
            } catch (NumberFormatException e) {
                throw new IOException(source + ": corrupt pax header", e);
            }
            if (length <= 0 || pos + length > data.length || space >= pos + length) {
                throw new IOException(source + ": corrupt pax header");
            }
            byte[] record = Arrays.copyOfRange(data, space + 1, pos + length - 1);
            String kv = new String(record, StandardCharsets.UTF_8);
            int eq = kv.indexOf('=');
            if (eq > 0) {
                out.add(new String[] {kv.substring(0, eq), kv.substring(eq + 1)});
            }
            pos += length;
        }
        return out;
    }
}
