package dev.blip4j.capfilt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blip4j.models.testing.Golden;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The tar reader on shards written by GNU tar and Python's tarfile (see test resources' README). */
class TarReaderTest {

    static Path resource(String name) {
        return Path.of("src/test/resources/capfilt").resolve(name);
    }

    static final String LONG = String.join("/", "d".repeat(30), "d".repeat(30), "d".repeat(30), "d".repeat(30));

    static List<String> names(byte[] tar) throws IOException {
        List<String> out = new ArrayList<>();
        try (TarReader r = new TarReader(new ByteArrayInputStream(tar), "t.tar")) {
            for (TarReader.Entry e = r.next(); e != null; e = r.next()) {
                out.add(e.name() + ":" + e.size());
            }
        }
        return out;
    }

    @Test
    void gnuTarMembersInOrderWithLongNamesAndWithoutTheDirectory() throws IOException {
        byte[] tar = Files.readAllBytes(resource("webdataset-gnu.tar"));
        List<String> names = names(tar);
        assertEquals(List.of("__index__:5", "README:6", "s/000.png:17973", "s/000.txt:5", "s/000.json:84",
                "s/001.PNG:10087", "s/001.json:112", "s/002.png:6825", "s/003.txt:24", "s/004.seg.png:6825",
                "s/004.png:10087", "s/004.txt:37", "s/005.png:17973", "s/005.txt:5", "s/005.txt:5", "s/006.png:19",
                "s/006.txt:5", LONG + "/007.png:17973", LONG + "/007.txt:37"), names);
        try (TarReader r = new TarReader(new ByteArrayInputStream(tar), "t.tar")) {
            TarReader.Entry e;
            while (!(e = r.next()).name().endsWith("007.png")) {
                // skip to the long-named member
            }
            assertArrayEquals(Files.readAllBytes(Golden.image(0)), r.read(1 << 20), e.name());
            assertEquals("four bears walking on the red street.",
                    new String(readNext(r), StandardCharsets.UTF_8));
            assertNull(r.next());
        }
    }

    private static byte[] readNext(TarReader r) throws IOException {
        r.next();
        return r.read(1 << 20);
    }

    @Test
    void ustarPrefixAndPaxPaths() throws IOException {
        assertEquals(List.of("s/000.png:17973", "s/000.txt:5", LONG + "/007.png:17973", LONG + "/007.txt:37"),
                names(Files.readAllBytes(resource("webdataset-ustar.tar"))));
        byte[] pax = Files.readAllBytes(resource("webdataset-pax.tar"));
        assertEquals(List.of("café/0001.png:10087", "café/0001.txt:13", "x".repeat(150) + "/0002.png:6825",
                "x".repeat(150) + "/0002.json:28"), names(pax));
        try (TarReader r = new TarReader(new ByteArrayInputStream(pax), "p.tar")) {
            r.next();
            assertArrayEquals(Files.readAllBytes(Golden.image(1)), r.read(1 << 20));
            assertEquals("Café au lait", new String(readNext(r), StandardCharsets.UTF_8));
        }
    }

    @Test
    void truncatedCorruptAndOversizedArchivesAreReportedNotMisread() throws IOException {
        byte[] tar = Files.readAllBytes(resource("webdataset-gnu.tar"));
        // cut inside the data of s/000.png: the header is there, its bytes are not
        byte[] cut = Arrays.copyOf(tar, SampleReaderTest.indexOf(tar, "s/000.png") + 512 + 1000);
        try (TarReader r = new TarReader(new ByteArrayInputStream(cut), "cut.tar")) {
            r.next();
            r.next();
            TarReader.Entry png = r.next();
            assertEquals("s/000.png", png.name());
            EOFException e = assertThrows(EOFException.class, () -> r.read(1 << 20));
            assertTrue(e.getMessage().contains("cut.tar") && e.getMessage().contains("s/000.png"), e.getMessage());
        }
        // skipping over a truncated member is an error too
        try (TarReader r = new TarReader(new ByteArrayInputStream(cut), "cut.tar")) {
            r.next();
            r.next();
            r.next();
            assertThrows(EOFException.class, r::next);
        }
        // a header cut in half
        assertThrows(EOFException.class, () -> names(Arrays.copyOf(tar, 700)));
        // a flipped byte in a header fails its checksum
        byte[] bad = tar.clone();
        bad[3] ^= 0x20;
        IOException corrupt = assertThrows(IOException.class, () -> names(bad));
        assertTrue(corrupt.getMessage().contains("checksum"), corrupt.getMessage());
        // not a tar at all
        IOException png = assertThrows(IOException.class, () -> names(Files.readAllBytes(Golden.image(0))));
        assertTrue(png.getMessage().startsWith("t.tar: not a tar archive"), png.getMessage());
        // a member over the caller's limit
        try (TarReader r = new TarReader(new ByteArrayInputStream(tar), "t.tar")) {
            r.next();
            r.next();
            r.next();
            IOException big = assertThrows(IOException.class, () -> r.read(1000));
            assertTrue(big.getMessage().contains("more than the limit of 1000"), big.getMessage());
        }
        // empty input and a lone end-of-archive block are empty archives
        assertEquals(List.of(), names(new byte[0]));
        assertEquals(List.of(), names(new byte[1024]));
    }

    @Test
    void gnuBase256Size() throws IOException {
        // the first header of the GNU shard rewritten with its size (5) in base-256
        byte[] tar = Arrays.copyOf(Files.readAllBytes(resource("webdataset-gnu.tar")), 2048);
        Arrays.fill(tar, 124, 136, (byte) 0);
        tar[124] = (byte) 0x80;
        tar[135] = 5;
        Arrays.fill(tar, 148, 156, (byte) ' ');
        long sum = 0;
        for (int i = 0; i < 512; i++) {
            sum += tar[i] & 0xff;
        }
        byte[] octal = String.format("%06o\0 ", sum).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(octal, 0, tar, 148, 8);
        try (TarReader r = new TarReader(new ByteArrayInputStream(tar), "b.tar")) {
            TarReader.Entry e = r.next();
            assertEquals(new TarReader.Entry("__index__", 5), e);
            assertEquals("index", new String(r.read(10), StandardCharsets.US_ASCII));
        }
    }
}
