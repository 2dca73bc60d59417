package dev.blip4j.capfilt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blip4j.core.InputException;
import dev.blip4j.models.testing.Golden;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Samples from JSON Lines and WebDataset shards: keys, texts, carried fields, errors, skipping. */
class SampleReaderTest {

    @TempDir
    Path dir;

    static List<Sample> all(InputFile f) {
        List<Sample> out = new ArrayList<>();
        try (SampleIterator it = SampleReader.open(f)) {
            it.forEachRemaining(out::add);
        }
        return out;
    }

    @Test
    void jsonLinesKeysTextsPathsAndCarriedFields() throws IOException {
        Path sub = Files.createDirectories(dir.resolve("data/sub"));
        Path abs = Golden.image(2).toAbsolutePath();
        Files.writeString(sub.resolve("pairs.jsonl"), String.join("\n",
                "{\"image\": \"a.png\", \"text\": \"a cat\", \"score\": 0.25, \"tags\": [\"x\", 1]}",
                "",
                "{\"key\": \"k-7\", \"image\": \"../b.png\", \"text\": null, \"id\": 9}",
                "{\"id\": 12, \"image\": \"" + abs + "\", \"source\": \"laion\", \"kept\": 3, \"text\": \"hi\"}",
                "{\"image\": \"https://example.com/x.jpg\"}",
                "   ",
                "{\"image\": \"c.png\", \"text\": 5}",
                "not json",
                "[1, 2]",
                "{\"text\": \"no image\"}",
                "{\"image\": 3}",
                "{\"image\": \"\"}") + "\n");
        List<InputFile> files = SampleReader.files(dir.resolve("data"));
        assertEquals(List.of(new InputFile(sub.resolve("pairs.jsonl").toString(), "sub/pairs.jsonl", false)), files);
        List<Sample> s = all(files.get(0));
        assertEquals(10, s.size());
        assertEquals(10, SampleReader.count(files));

        assertEquals("sub/pairs.jsonl:1", s.get(0).key());
        assertEquals("a.png", s.get(0).image());
        assertEquals(sub.resolve("a.png").toAbsolutePath().toString(), s.get(0).location());
        assertEquals("a cat", s.get(0).text());
        assertEquals("{\"score\":0.25,\"tags\":[\"x\",1]}", s.get(0).extra());
        assertNull(s.get(0).error());

        assertEquals("k-7", s.get(1).key());
        assertEquals(dir.resolve("data/b.png").toAbsolutePath().toString(), s.get(1).location());
        assertNull(s.get(1).text());
        assertEquals("{\"id\":9}", s.get(1).extra());

        assertEquals("12", s.get(2).key());
        assertEquals(abs.toString(), s.get(2).location());
        assertEquals("hi", s.get(2).text());
        // fields named like output columns keep their values under input_<name>
        assertEquals("{\"id\":12,\"input_source\":\"laion\",\"input_kept\":3}", s.get(2).extra());

        assertEquals("sub/pairs.jsonl:5", s.get(3).key());
        assertEquals("https://example.com/x.jpg", s.get(3).location());
        assertNull(s.get(3).text());

        String[] errors = {"sub/pairs.jsonl:7: \"text\" must be a string, got 5",
                "sub/pairs.jsonl:8: not valid JSON", "sub/pairs.jsonl:9: not a JSON object",
                "sub/pairs.jsonl:10: no \"image\" field", "sub/pairs.jsonl:11: \"image\" must be a string, got 3",
                "sub/pairs.jsonl:12: \"image\" is empty"};
        for (int i = 0; i < errors.length; i++) {
            Sample e = s.get(4 + i);
            assertTrue(e.error().startsWith(errors[i]), e.error());
            assertEquals("sub/pairs.jsonl:" + (7 + i), e.key());
        }
        assertEquals("no image", s.get(7).text(), "the text of a sample without image is kept for the row");
    }

    @Test
    void refusedSamplesAreCountedButNotRead() throws IOException {
        Path file = CapFiltFixtures.goldenPairs(dir);
        InputFile f = SampleReader.files(file).get(0);
        List<String> asked = new ArrayList<>();
        List<Sample> s = new ArrayList<>();
        try (SampleIterator it = SampleReader.open(f, k -> {
            asked.add(k);
            return asked.size() > 10;
        })) {
            it.forEachRemaining(s::add);
        }
        assertEquals(12, s.size());
        assertEquals(s.stream().map(Sample::key).toList(), asked);
        assertNull(s.get(3).text());
        assertEquals("images/image0.png", s.get(3).image());
        assertEquals(CapFiltFixtures.captions().get(3), s.get(11).text());
    }

    @Test
    void webDatasetGroupingAsWebdatasetDoes() throws IOException {
        Path shard = TarReaderTest.resource("webdataset-gnu.tar");
        List<InputFile> files = SampleReader.files(shard);
        assertEquals(List.of(new InputFile(shard.toString(), "webdataset-gnu.tar", true)), files);
        List<Sample> s = all(files.get(0));
        assertEquals(List.of("s/000", "s/001", "s/002", "s/003", "s/004", "s/005", "s/006",
                TarReaderTest.LONG + "/007"), s.stream().map(Sample::key).toList());
        assertEquals(8, SampleReader.count(files));
        String p = shard + "#";

        assertEquals(p + "s/000.png", s.get(0).image());
        assertArrayEquals(Files.readAllBytes(Golden.image(0)), s.get(0).imageBytes());
        assertNull(s.get(0).location());
        assertEquals("a cat", s.get(0).text());
        // the .json's fields are carried, its key (equal to __key__) is not repeated, its caption is
        assertEquals("{\"url\":\"http://example.com/0.png\",\"width\":64,\"caption\":\"a cat\"}", s.get(0).extra());

        // no .txt: the caption comes from the .json; upper-case extension; a different key is carried
        assertEquals(p + "s/001.PNG", s.get(1).image());
        assertArrayEquals(Files.readAllBytes(Golden.image(1)), s.get(1).imageBytes());
        assertEquals("four bears walking on the red street.", s.get(1).text());
        assertEquals("{\"input_key\":\"other\",\"status\":\"success\",\"error_message\":null}", s.get(1).extra());

        assertNull(s.get(2).text(), "images only");
        assertNull(s.get(2).error());

        assertTrue(s.get(3).error().endsWith("no image (.jpg, .jpeg, .png or .webp member) in sample s/003"),
                s.get(3).error());
        assertEquals("a text without its image", s.get(3).text());

        // 004.seg.png has extension "seg.png": not an image member of this sample
        assertEquals(p + "s/004.png", s.get(4).image());
        assertArrayEquals(Files.readAllBytes(Golden.image(1)), s.get(4).imageBytes());

        assertTrue(s.get(5).error().endsWith("duplicate member s/005.txt in sample s/005"), s.get(5).error());
        assertArrayEquals("not an image at all".getBytes(StandardCharsets.US_ASCII), s.get(6).imageBytes());

        assertEquals("four bears walking on the red street.", s.get(7).text());
        assertArrayEquals(Files.readAllBytes(Golden.image(0)), s.get(7).imageBytes());
    }

    @Test
    void paxShardAndATruncatedShard() throws IOException {
        List<Sample> pax = all(SampleReader.files(TarReaderTest.resource("webdataset-pax.tar")).get(0));
        assertEquals(List.of("café/0001", "x".repeat(150) + "/0002"), pax.stream().map(Sample::key).toList());
        assertEquals("Café au lait", pax.get(0).text());
        assertEquals("a cat", pax.get(1).text());
        assertEquals("{\"n\":2}", pax.get(1).extra());

        byte[] tar = Files.readAllBytes(TarReaderTest.resource("webdataset-gnu.tar"));
        Path cut = dir.resolve("cut.tar");
        // cut in the middle of s/001.PNG's data
        int at = indexOf(tar, "s/001.PNG") + 512 + 4000;
        Files.write(cut, Arrays.copyOf(tar, at));
        List<InputFile> files = SampleReader.files(cut);
        List<Sample> s = all(files.get(0));
        assertEquals(2, s.size());
        assertNull(s.get(0).error());
        assertEquals("s/001", s.get(1).key());
        assertTrue(s.get(1).error().startsWith(cut + ": truncated member s/001.PNG"), s.get(1).error());
        assertEquals(2, SampleReader.count(files), "counting (data skipped) sees the same samples");

        Path notTar = dir.resolve("image.tar");
        Files.copy(Golden.image(0), notTar);
        List<Sample> bad = all(SampleReader.files(notTar).get(0));
        assertEquals(1, bad.size());
        assertEquals("image.tar", bad.get(0).key());
        assertTrue(bad.get(0).error().startsWith(notTar + ": not a tar archive"), bad.get(0).error());
    }

    @Test
    void foldersListInputsInPathOrderAndRefuseNothingToRead() throws IOException {
        Files.createDirectories(dir.resolve("in/b"));
        Files.writeString(dir.resolve("in/b/x.jsonl"), "");
        Files.writeString(dir.resolve("in/a.ndjson"), "");
        Files.copy(TarReaderTest.resource("webdataset-pax.tar"), dir.resolve("in/b/00000.tar"));
        Files.writeString(dir.resolve("in/notes.txt"), "ignored");
        List<InputFile> files = SampleReader.files(dir.resolve("in"));
        assertEquals(List.of("a.ndjson", "b/00000.tar", "b/x.jsonl"), files.stream().map(InputFile::name).toList());
        assertEquals(List.of(false, true, false), files.stream().map(InputFile::shard).toList());
        Files.createDirectories(dir.resolve("empty"));
        InputException e = assertThrows(InputException.class, () -> SampleReader.files(dir.resolve("empty")));
        assertTrue(e.getMessage().contains("no .jsonl, .ndjson or .tar files"), e.getMessage());
        InputException missing = assertThrows(InputException.class, () -> SampleReader.files(dir.resolve("nope")));
        assertTrue(missing.getMessage().endsWith("nope: no such file or folder"), missing.getMessage());
    }

    static int indexOf(byte[] data, String s) {
        byte[] needle = s.getBytes(StandardCharsets.US_ASCII);
        outer:
        for (int i = 0; i + needle.length <= data.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (data[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new IllegalArgumentException(s);
    }
}
