package dev.blip4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.blip4j.cli.BlipCli;
import dev.blip4j.capfilt.CapFiltOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Spark job in {@code local[2]} against the single-machine CLI on the golden models: with 1, 3
 * and 7 partitions it writes exactly the CLI's {@code all.jsonl} rows (order aside), loading each
 * model once for the whole JVM; Parquet holds the same columns. One Spark session serves every test.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SparkCapFiltTest {

    static final Path GOLDEN = Path.of(System.getProperty("blip.testResources")).resolve("golden");
    static final Path SHARDS = Path.of("../blip-capfilt/src/test/resources/capfilt");

    @TempDir
    static Path dir;

    static SparkSession spark;
    static Path input;
    static List<String> cliRows;
    static JsonObject cliReport;

    @BeforeAll
    static void setUp() throws IOException {
        input = dataset(dir.resolve("in"));
        Path cliOut = dir.resolve("cli");
        StringWriter err = new StringWriter();
        int code = BlipCli.run(cliArgs(cliOut).toArray(String[]::new), new PrintWriter(new StringWriter()),
                new PrintWriter(err));
        assertEquals(BlipCli.EXIT_INPUT, code, "the dataset's unusable samples make it exit 4: " + err);
        cliRows = Files.readAllLines(cliOut.resolve("all.jsonl"));
        cliReport = JsonParser.parseString(Files.readString(cliOut.resolve("report.json"))).getAsJsonObject();
        spark = SparkSession.builder().master("local[2]").appName("capfilt-test").config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.sql.shuffle.partitions", "4").getOrCreate();
    }

    @AfterAll
    static void tearDown() {
        if (spark != null) {
            spark.stop();
        }
    }

    /**
     * 16 samples: six golden image-caption pairs (JSON Lines), the GNU-tar WebDataset shard (8
     * samples, 3 of them unusable and one with an undecodable image) and the pax shard (2).
     */
    static Path dataset(Path in) throws IOException {
        Files.createDirectories(in.resolve("shards"));
        JsonObject manifest = JsonParser.parseString(Files.readString(GOLDEN.resolve("manifest.json"))).getAsJsonObject();
        List<String> captions = new ArrayList<>();
        manifest.getAsJsonObject("texts").getAsJsonArray("captions").forEach(e -> captions.add(e.getAsString()));
        List<String> lines = new ArrayList<>();
        for (int s = 0; s < 6; s++) {
            JsonObject o = new JsonObject();
            o.addProperty("image", GOLDEN.resolve("images/image" + (s % 3) + ".png").toString());
            o.addProperty("text", captions.get(s % 4));
            o.addProperty("n", s);
            lines.add(o.toString());
        }
        Files.write(in.resolve("pairs.jsonl"), lines, StandardCharsets.UTF_8);
        Files.copy(SHARDS.resolve("webdataset-gnu.tar"), in.resolve("shards/00000.tar"));
        Files.copy(SHARDS.resolve("webdataset-pax.tar"), in.resolve("shards/00001.tar"));
        return in;
    }

    static List<String> common() {
        return List.of("--captioner", GOLDEN.resolve("caption/hf").toString(), "--filter",
                GOLDEN.resolve("retrieval/hf").toString(), "--input", input.toString(), "--num-captions", "2",
                "--batch-size", "4");
    }

    static List<String> cliArgs(Path out) {
        List<String> a = new ArrayList<>(List.of("capfilt"));
        a.addAll(common());
        a.addAll(List.of("--out", out.toString()));
        return a;
    }

    static JobSpec spec() {
        ModelSpec captioner = new ModelSpec(GOLDEN.resolve("caption/hf").toString(), null, null, "cpu", "float32");
        ModelSpec filter = new ModelSpec(GOLDEN.resolve("retrieval/hf").toString(), null, null, "cpu", "float32");
        return new JobSpec(captioner, filter, CapFiltOptions.defaults().withNumCaptions(2).withBatchSize(4), 1);
    }

    static List<String> partLines(Path folder) throws IOException {
        List<String> out = new ArrayList<>();
        try (Stream<Path> parts = Files.list(folder)) {
            for (Path p : parts.filter(p -> p.getFileName().toString().startsWith("part-")).sorted().toList()) {
                out.addAll(Files.readAllLines(p, StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    static List<String> sorted(List<String> lines) {
        List<String> s = new ArrayList<>(lines);
        s.sort(null);
        return s;
    }

    @Test
    @Order(1)
    void sameRowsAsTheCliWithOneThreeAndSevenPartitions() throws IOException {
        assertEquals(6 * 3 + 17 + 6, cliRows.size(), "the CLI's rows: pairs, GNU shard, pax shard");
        assertTrue(cliRows.stream().anyMatch(l -> l.contains("\"error\":")), "error rows take part");
        for (int partitions : new int[] {1, 3, 7}) {
            Path out = dir.resolve("spark-" + partitions);
            CapFiltJob.Result r = CapFiltJob.run(spark, spec(), List.of(input), out.toString(), partitions,
                    partitions == 3);
            List<String> rows = partLines(out.resolve(CapFiltJob.ALL));
            assertEquals(sorted(cliRows), sorted(rows), partitions + " partitions");
            assertEquals(cliRows.size(), r.rows());
            List<String> kept = cliRows.stream().filter(l -> l.contains("\"kept\":true")).toList();
            assertEquals(sorted(kept), sorted(partLines(out.resolve(CapFiltJob.KEPT))), partitions + " partitions kept");
            JsonObject report = JsonParser.parseString(Files.readString(out.resolve("report.json"))).getAsJsonObject();
            for (String part : List.of("counts", "histograms", "examples")) {
                assertEquals(cliReport.get(part), report.get(part), part + " with " + partitions + " partitions");
            }
            assertTrue(Files.readString(out.resolve("report.html")).contains("data:image/jpeg;base64,"));
            System.out.printf("spark local[2], %d partitions: %d rows equal to the CLI's%n", partitions, rows.size());
        }
        assertEquals(2, ExecutorModels.loads(), "captioner and filter loaded once for all jobs and partitions");
    }

    @Test
    @Order(2)
    void parquetHasTheSameColumns() {
        Path parquet = dir.resolve("spark-3").resolve(CapFiltJob.PARQUET);
        org.apache.spark.sql.Dataset<Row> all = spark.read().parquet(parquet.resolve(CapFiltJob.ALL).toString());
        List<String> columns = List.of(all.columns());
        assertEquals(List.of("key", "image", "text", "source", "itm", "itc", "kept", "error"), columns.subList(0, 8));
        // the inputs' own fields follow, by name: pairs' n, the shards' .json fields (renamed key included)
        assertEquals(List.of("caption", "error_message", "input_key", "n", "status", "url", "width"),
                columns.subList(8, columns.size()));
        assertEquals(cliRows.size(), all.count());
        long keptRows = cliRows.stream().filter(l -> l.contains("\"kept\":true")).count();
        assertEquals(keptRows, spark.read().parquet(parquet.resolve(CapFiltJob.KEPT).toString()).count());
        Row first = all.filter("key = 'pairs.jsonl:1' and source = 'web'").first();
        JsonObject cli = JsonParser.parseString(cliRows.get(0)).getAsJsonObject();
        assertEquals(cli.get("itm").getAsDouble(), first.getDouble(first.fieldIndex("itm")));
        assertEquals(cli.get("text").getAsString(), first.getString(first.fieldIndex("text")));
        assertEquals(0L, first.getLong(first.fieldIndex("n")));
    }

    @Test
    @Order(3)
    void modelsShippedWithTheJobAreFoundByName() throws IOException {
        Path original = GOLDEN.resolve("retrieval/original");
        for (String f : List.of("model.pth", "med_config.json", "blip_config.json")) {
            spark.sparkContext().addFile(original.resolve(f).toString());
        }
        spark.sparkContext().addFile(GOLDEN.resolve("tokenizer/vocab.txt").toString());
        Path nowhere = dir.resolve("not-on-this-node");
        ModelSpec shipped = new ModelSpec(nowhere.resolve("model.pth").toString(),
                nowhere.resolve("vocab.txt").toString(), null, "cpu", "float32");
        try (var model = shipped.load()) {
            assertTrue(model.info().weights().startsWith(Path.of(org.apache.spark.SparkFiles.getRootDirectory())),
                    model.info().weights().toString());
            assertTrue(model.network().hasItm());
        }
        ModelSpec missing = new ModelSpec(nowhere.resolve("other.pth").toString(), null, null, "cpu", "float32");
        dev.blip4j.core.ModelException e = org.junit.jupiter.api.Assertions.assertThrows(
                dev.blip4j.core.ModelException.class, missing::load);
        assertTrue(e.getMessage().contains("other.pth: no such file or folder on this executor"), e.getMessage());
    }

    @Test
    @Order(4)
    void theCommandTakesTheCliOptionsPlusMaster() throws IOException {
        Path out = dir.resolve("command");
        List<String> a = new ArrayList<>(List.of("capfilt"));
        a.addAll(common());
        a.addAll(List.of("--out", out.toString(), "--master", "local[2]", "--partitions", "2"));
        StringWriter stdout = new StringWriter();
        StringWriter err = new StringWriter();
        int code = BlipSpark.run(a.toArray(String[]::new), new PrintWriter(stdout), new PrintWriter(err));
        assertEquals(BlipCli.EXIT_INPUT, code, "unusable samples, as the CLI: " + err);
        assertTrue(stdout.toString().contains(cliRows.size() + " rows in "), stdout.toString());
        assertEquals(sorted(cliRows), sorted(partLines(out.resolve(CapFiltJob.ALL))));
        assertFalse(spark.sparkContext().isStopped(), "a session the command did not create is left running");

        StringWriter err2 = new StringWriter();
        int again = BlipSpark.run(a.toArray(String[]::new), new PrintWriter(new StringWriter()), new PrintWriter(err2));
        assertTrue(again != 0 && err2.toString().contains("already exists"), again + " " + err2);

        StringWriter usage = new StringWriter();
        List<String> bad = new ArrayList<>(a);
        bad.set(bad.indexOf("--out") + 1, dir.resolve("bad").toString());
        bad.addAll(List.of("--first-token", "xyz"));
        assertEquals(BlipCli.EXIT_USAGE, BlipSpark.run(bad.toArray(String[]::new), new PrintWriter(new StringWriter()),
                new PrintWriter(usage)));
        assertTrue(usage.toString().contains("--first-token must be enc or cls"), usage.toString());
    }
}
