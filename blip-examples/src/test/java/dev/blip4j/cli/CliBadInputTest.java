package dev.blip4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The CLI under bad input: every failure is one line, {@code error: <what> (<file>)}, with no
 * stack trace unless {@code --verbose}, and the exit code says whose fault it is: 2 bad usage,
 * 3 a model that cannot be used, 4 bad inputs. Commands over many inputs carry on past the bad
 * ones and exit 4 at the end.
 *
 * <p>The cases are a table: a new command (itm, vqa, index...) adds its rows to {@link #cases()}.
 * {@code {caption}}, {@code {hostile}}... in the arguments are replaced by the files prepared in
 * {@link #files()}.
 */
class CliBadInputTest {

    @TempDir
    static Path dir;

    private static Path captionModel;
    private static Path itmModel;
    private static Path vqaModel;
    private static Path image;
    private static Path notAnImage;
    private static Path truncatedPng;
    private static Path truncatedModel;
    private static Path hostilePth;
    private static Path zeroSizeConfig;
    private static Path emptyFolder;
    private static Path bomb;

    @BeforeAll
    static void files() throws IOException {
        captionModel = CliRun.golden("caption/hf");
        itmModel = CliRun.golden("itm/hf");
        vqaModel = CliRun.golden("vqa/hf");
        image = CliRun.golden("images/image2.png");
        notAnImage = Files.writeString(dir.resolve("notes.png"), "these are my notes, not a picture\n");
        byte[] png = Files.readAllBytes(CliRun.golden("images/image0.png"));
        truncatedPng = Files.write(dir.resolve("cut.png"), Arrays.copyOf(png, png.length / 2));

        truncatedModel = copyOf(captionModel, "truncated");
        Path weights = truncatedModel.resolve("model.safetensors");
        byte[] st = Files.readAllBytes(weights);
        Files.write(weights, Arrays.copyOf(st, st.length / 3));

        hostilePth = dir.resolve("hostile.pth");
        try (OutputStream os = Files.newOutputStream(hostilePth); ZipOutputStream zip = new ZipOutputStream(os)) {
            zip.putNextEntry(new ZipEntry("archive/data.pkl"));
            zip.write(new byte[] {(byte) 0x80, 2});
            zip.write("cos\nsystem\nX\u0004\u0000\u0000\u0000true\u0085R.".getBytes(StandardCharsets.ISO_8859_1));
            zip.closeEntry();
        }

        bomb = Files.write(dir.resolve("bomb.png"), pngDeclaring(100_000, 100_000));

        emptyFolder = Files.createDirectories(dir.resolve("empty"));
        Files.writeString(emptyFolder.resolve("readme.txt"), "no pictures here");

        zeroSizeConfig = copyOf(captionModel, "zero");
        Path config = zeroSizeConfig.resolve("config.json");
        Files.writeString(config, Files.readString(config).replace("\"hidden_size\": 32", "\"hidden_size\": 0"));
    }

    /** name, arguments, exit code, parts of the one stderr line. */
    static Stream<Arguments> cases() {
        return Stream.of(
                // bad usage: 2
                row("no --model", "caption {image}", 2, "Missing required option", "see 'blip caption --help'"),
                row("unknown option", "caption --model {caption} --frobnicate {image}", 2, "Unknown option: '--frobnicate'"),
                row("not a number", "caption --model {caption} --beams many {image}", 2, "'many' is not an int"),
                row("zero beams", "caption --model {caption} --beams 0 {image}", 2, "number of beams must be at least 1, got 0"),
                row("bad top-p", "caption --model {caption} --sample --top-p 1.5 {image}", 2, "top-p must be in (0, 1], got 1.5"),
                row("prompt too long", "caption --model {caption} --max-length 100 {image}", 2,
                        "max length 100 exceeds the decoder's position table of 64"),
                row("no such device", "caption --model {caption} --device tpu {image}", 2, "--device must be cpu or gpu, got tpu",
                        "(see 'blip caption --help')"),
                row("no image", "caption --model {caption}", 2, "Missing required parameter"),
                row("no command", "frobnicate", 2, "Unmatched argument"),
                // a model that cannot be used: 3
                row("missing model", "caption --model {dir}/nowhere {image}", 3, "{dir}/nowhere: no such model file or directory"),
                row("truncated safetensors", "caption --model {truncated} {image}", 3,
                        "{truncated}/model.safetensors", "run past the end", "truncated file?"),
                row("hostile pickle", "inspect --model {hostile}", 3, "{hostile}", "refuses pickle global 'os.system'"),
                row("zero-size config", "inspect --model {zero}", 3, "{zero}/config.json", "'text_config.hidden_size'",
                        "must be a positive whole number, got 0"),
                row("model cannot caption", "caption --model {itm} {image}", 3, "has no text decoder and cannot caption"),
                row("model cannot answer", "vqa --model {caption} --question what --image {image}", 3,
                        "{caption}/model.safetensors", "cannot answer questions"),
                row("hostile model for index", "index --model {hostile} --out {dir}/idx --images {image}", 3,
                        "{hostile}", "refuses pickle global 'os.system'"),
                row("bad --image-size", "inspect --model {caption} --image-size 40", 3,
                        "image size 40 is not a multiple of the patch size 16", "({caption})"),
                // bad inputs: 4
                row("not an image", "caption --model {caption} {notAnImage}", 4, "{notAnImage}: not an image",
                        "looks like text"),
                row("truncated image", "caption --model {caption} {truncatedPng}", 4, "{truncatedPng}: truncated PNG"),
                row("decompression bomb", "caption --model {caption} {bomb}", 4,
                        "{bomb}: 100000x100000 = 10000000000 pixels exceeds the limit of 178956970"),
                row("missing image", "caption --model {caption} {dir}/missing.png", 4, "{dir}/missing.png"),
                row("itm: not an image", "itm --model {itm} --text a --image {notAnImage}", 4, "{notAnImage}: not an image"),
                row("vqa: truncated image", "vqa --model {vqa} --question what --image {truncatedPng}", 4,
                        "{truncatedPng}: truncated PNG"),
                row("features: decompression bomb", "features --model {itm} --out {dir}/f.safetensors --image {bomb}", 4,
                        "{bomb}: 100000x100000 = 10000000000 pixels exceeds the limit"),
                row("search: no index", "search --model {itm} --index {dir}/noindex --text dog", 4,
                        "{dir}/noindex: not a gallery index"),
                row("folder without images", "caption --model {caption} {empty}", 4, "{empty}: no images"));
    }

    private static Arguments row(String name, String args, int exit, String... stderr) {
        return Arguments.of(name, args, exit, List.of(stderr));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void oneErrorLineNoStackTraceAndTheExitCode(String name, String args, int exit, List<String> stderr) {
        CliRun run = CliRun.of(expand(args));
        assertEquals(exit, run.exit(), run.toString());
        assertFalse(run.hasStackTrace(), "no stack trace without --verbose:\n" + run);
        assertEquals(1, run.errLines().size(), "one error line:\n" + run);
        String line = run.errLines().get(0);
        assertTrue(line.startsWith("error: "), line);
        for (String part : stderr) {
            String want = substitute(part);
            assertTrue(line.contains(want), "'" + line + "' should contain '" + want + "'");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void verboseAddsTheStackTrace(String name, String args, int exit, List<String> stderr) {
        if (name.equals("no command")) {
            return; // no subcommand, so no --verbose option to give
        }
        List<String> argv = new ArrayList<>(expand(args));
        argv.add(1, "--verbose");
        CliRun run = CliRun.of(argv);
        assertEquals(exit, run.exit(), run.toString());
        assertTrue(run.errLines().get(0).startsWith("error: "), run.toString());
        assertTrue(run.hasStackTrace() && run.err().contains("\tat "), "a stack trace with --verbose:\n" + run);
    }

    /** A folder with good and bad images: the good ones are captioned, each bad one is reported, exit 4. */
    @Test
    void aFolderWithBadImagesCarriesOnAndExitsFour() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("mixed"));
        Files.copy(image, folder.resolve("a-good.png"));
        Files.copy(notAnImage, folder.resolve("b-notes.png"));
        Files.copy(CliRun.golden("images/image1.png"), folder.resolve("c-good.png"));
        Files.copy(truncatedPng, folder.resolve("d-cut.png"));

        CliRun text = CliRun.of("caption", "--model", captionModel.toString(), "--greedy", folder.toString());
        assertEquals(4, text.exit(), text.toString());
        assertFalse(text.hasStackTrace(), text.toString());
        List<String> lines = text.out().lines().toList();
        assertEquals("image\tcaption", lines.get(0), "a header line first");
        List<String> captioned = lines.subList(1, lines.size());
        assertEquals(2, captioned.size(), text.toString());
        assertTrue(captioned.get(0).startsWith(folder.resolve("a-good.png") + "\t"), captioned.get(0));
        assertTrue(captioned.get(1).startsWith(folder.resolve("c-good.png") + "\t"), captioned.get(1));
        List<String> errors = text.errLines();
        assertEquals(2, errors.size(), text.toString());
        assertTrue(errors.get(0).startsWith("error: " + folder.resolve("b-notes.png") + ": not an image"), errors.get(0));
        assertTrue(errors.get(1).startsWith("error: " + folder.resolve("d-cut.png") + ": truncated PNG"), errors.get(1));

        CliRun json = CliRun.of("caption", "--model", captionModel.toString(), "--greedy", "--json", folder.toString());
        assertEquals(4, json.exit(), json.toString());
        assertEquals("", json.err().strip(), "with --json the errors are in the JSON");
        JsonArray rows = JsonParser.parseString(json.out()).getAsJsonArray();
        assertEquals(4, rows.size());
        String[] names = {"a-good.png", "b-notes.png", "c-good.png", "d-cut.png"};
        for (int i = 0; i < 4; i++) {
            JsonObject row = rows.get(i).getAsJsonObject();
            assertEquals(folder.resolve(names[i]).toString(), row.get("image").getAsString());
            boolean bad = i % 2 == 1;
            assertEquals(bad, row.has("error"), row.toString());
            assertEquals(!bad, row.has("caption"), row.toString());
        }
        assertTrue(rows.get(1).getAsJsonObject().get("error").getAsString().contains("not an image"));
        assertTrue(rows.get(3).getAsJsonObject().get("error").getAsString().contains("truncated PNG"));
        // the good images get the captions a clean run gives them
        CliRun clean = CliRun.of("caption", "--model", captionModel.toString(), "--greedy", "--json",
                folder.resolve("a-good.png").toString());
        assertEquals(0, clean.exit(), clean.toString());
        assertEquals(JsonParser.parseString(clean.out()).getAsJsonArray().get(0).getAsJsonObject().get("caption"),
                rows.get(0).getAsJsonObject().get("caption"));
    }

    /** Messages that do not name the file get it appended; those that do are left alone. */
    @Test
    void theFileIsAppendedOnlyWhenTheMessageLacksIt() {
        Path f = Path.of("some/model.pth");
        assertEquals("error: bad thing (some/model.pth)",
                ErrorLine.of(new dev.blip4j.core.ModelException("bad thing"), f));
        assertEquals("error: some/model.pth: bad thing",
                ErrorLine.of(new dev.blip4j.core.ModelException("some/model.pth: bad thing"), f));
        assertEquals("error: two lines",
                ErrorLine.of(new dev.blip4j.core.InputException("two\nlines"), null));
        assertEquals("error: internal error java.lang.IllegalStateException: oops",
                ErrorLine.of(new IllegalStateException("oops"), null));
        assertEquals(1, ErrorLine.exitCode(new IllegalStateException("oops")));
    }

    // ---------------------------------------------------------------------------------------------

    private static List<String> expand(String args) {
        return List.of(substitute(args).split(" "));
    }

    private static String substitute(String text) {
        return text.replace("{caption}", captionModel.toString())
                .replace("{itm}", itmModel.toString())
                .replace("{vqa}", vqaModel.toString())
                .replace("{image}", image.toString())
                .replace("{notAnImage}", notAnImage.toString())
                .replace("{truncatedPng}", truncatedPng.toString())
                .replace("{truncated}", truncatedModel.toString())
                .replace("{hostile}", hostilePth.toString())
                .replace("{zero}", zeroSizeConfig.toString())
                .replace("{empty}", emptyFolder.toString())
                .replace("{bomb}", bomb.toString())
                .replace("{dir}", dir.toString());
    }

    /** A PNG whose header declares {@code width x height} RGB pixels, followed by a few bytes of data. */
    private static byte[] pngDeclaring(int width, int height) {
        java.nio.ByteBuffer ihdr = java.nio.ByteBuffer.allocate(13).putInt(width).putInt(height).put(new byte[] {8, 2, 0, 0, 0});
        java.io.ByteArrayOutputStream png = new java.io.ByteArrayOutputStream();
        png.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        chunk(png, "IHDR", ihdr.array());
        chunk(png, "IDAT", new byte[] {0x78, (byte) 0x9C, 1, 2, 3, 4});
        chunk(png, "IEND", new byte[0]);
        return png.toByteArray();
    }

    private static void chunk(java.io.ByteArrayOutputStream out, String type, byte[] data) {
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(t);
        crc.update(data);
        out.writeBytes(java.nio.ByteBuffer.allocate(4).putInt(data.length).array());
        out.writeBytes(t);
        out.writeBytes(data);
        out.writeBytes(java.nio.ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    private static Path copyOf(Path modelDir, String name) throws IOException {
        Path to = Files.createDirectories(dir.resolve(name));
        try (Stream<Path> files = Files.list(modelDir)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
        return to;
    }
}
