package dev.blip4j.capfilt;

import java.io.Closeable;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarUtils;

/**
 * Reads the regular files of a tar stream in order, with Apache Commons Compress doing the format
 * (POSIX ustar with its name prefix, GNU long names, pax headers, GNU base-256 sizes); WebDataset
 * shards (as img2dataset writes them) use nothing else. Directories, links and other entry types
 * are passed over. On top of the library, every header's checksum is verified so that a corrupt
 * or non-tar file is reported instead of being read as garbage members, long-name and pax headers
 * are bounded, and a truncated archive is an {@link EOFException}; every message names the archive.
 *
 * <p>Not thread-safe; one reader per stream.
 */
public final class TarReader implements Closeable {

    /** One regular file of the archive. */
    public record Entry(String name, long size) {}

    /** Largest GNU long name or pax header accepted, in bytes. */
    private static final int MAX_HEADER_DATA = 1 << 20;

    private final Input input;
    private final Headers tar;
    private final String source;
    private Entry current;
    private boolean read;

    /** @param source the archive's name, for messages */
    public TarReader(InputStream in, String source) {
        this.source = source;
        this.input = new Input(in);
        this.tar = new Headers(input);
    }

    /**
     * Advances to the next regular file, skipping what is left of the current one.
     *
     * @return the entry, or null at the end of the archive
     * @throws IOException if the archive is truncated or a header is corrupt (naming the archive)
     */
    public Entry next() throws IOException {
        current = null;
        while (true) {
            TarArchiveEntry e;
            try {
                e = tar.getNextEntry();
            } catch (IOException ex) {
                throw ours(ex, "tar member");
            } catch (IllegalArgumentException ex) {
                throw new IOException(source + ": not a tar archive or a corrupt tar header (" + ex.getMessage() + ")",
                        ex);
            }
            if (e == null) {
                return null;
            }
            if (e.getSize() < 0) {
                throw new IOException(source + ": negative member size in a tar header");
            }
            byte type = e.getLinkFlag();
            if (type == '0' || type == 0 || type == '7') {
                current = new Entry(e.getName(), e.getSize());
                read = false;
                return current;
            }
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
        if (read) {
            throw new IllegalStateException("entry " + current.name() + " was already read");
        }
        read = true;
        byte[] data;
        try {
            data = tar.readNBytes((int) current.size());
        } catch (IOException e) {
            throw ours(e, "member " + current.name());
        }
        if (data.length < current.size()) {
            throw new EOFException(source + ": truncated member " + current.name());
        }
        return data;
    }

    @Override
    public void close() throws IOException {
        tar.close();
    }

    /** A failure of the library as this reader reports it: truncation when the input ran out, else corruption. */
    private IOException ours(IOException e, String what) {
        if (e.getMessage() != null && e.getMessage().startsWith(source + ": ")) {
            return e;
        }
        if (input.ended) {
            EOFException eof = new EOFException(source + ": truncated " + what);
            eof.initCause(e);
            return eof;
        }
        return new IOException(source + ": not a tar archive or a corrupt tar header (" + e.getMessage() + ")", e);
    }

    /** The archive's bytes, noting when they run out. */
    private static final class Input extends FilterInputStream {
        boolean ended;

        Input(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            ended |= b < 0;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            ended |= n < 0;
            return n;
        }
    }

    /**
     * The library's reader, with this reader's checks on every header record it reads (data is
     * read through {@code read}, headers through {@code readRecord}).
     */
    private final class Headers extends TarArchiveInputStream {
        private boolean end;

        Headers(InputStream in) {
            super(in, StandardCharsets.UTF_8.name());
        }

        @Override
        protected byte[] readRecord() throws IOException {
            long before = getBytesRead();
            byte[] record = super.readRecord();
            if (end) {
                return record; // past the end-of-archive block nothing is a header any more
            }
            if (record == null) {
                if (getBytesRead() > before) {
                    throw new EOFException(source + ": truncated tar header");
                }
                return null;
            }
            if (isEOFRecord(record)) {
                end = true;
                return record;
            }
            boolean checked;
            try {
                checked = TarUtils.verifyCheckSum(record);
            } catch (IllegalArgumentException e) {
                throw new IOException(source + ": not a tar archive (bad octal checksum field)", e);
            }
            if (!checked) {
                throw new IOException(source + ": not a tar archive or a corrupt tar header (checksum does not"
                        + " match)");
            }
            long size;
            try {
                size = TarUtils.parseOctalOrBinary(record, 124, 12);
            } catch (IllegalArgumentException e) {
                throw new IOException(source + ": not a tar archive (bad octal size field)", e);
            }
            if (size < 0) {
                throw new IOException(source + ": negative member size in a tar header");
            }
            char type = (char) record[156];
            String what = type == 'L' || type == 'K' ? "GNU long name" : type == 'x' || type == 'g' ? "pax header" : null;
            if (what != null && size > MAX_HEADER_DATA) {
                throw new IOException(source + ": " + what + " of " + size + " bytes");
            }
            return record;
        }
    }
}
