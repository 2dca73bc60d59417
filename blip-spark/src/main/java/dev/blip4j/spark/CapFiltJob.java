package dev.blip4j.spark;

import dev.blip4j.core.InputException;
import dev.blip4j.capfilt.CandidateRow;
import dev.blip4j.capfilt.CapFilt;
import dev.blip4j.capfilt.CapFiltReport;
import dev.blip4j.capfilt.CapFiltSummary;
import dev.blip4j.capfilt.InputFile;
import dev.blip4j.capfilt.Sample;
import dev.blip4j.capfilt.SampleIterator;
import dev.blip4j.capfilt.SampleReader;
import dev.blip4j.models.image.ImageLoader;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * CapFilt as a Spark job: the same pipeline as {@code blip capfilt}, the same rows.
 * <ol>
 *   <li>The driver lists the input files; executors read them into a {@link Sample} Dataset (keys as
 *       on one machine), which is spread over {@code partitions} partitions.</li>
 *   <li>Each partition runs {@link CapFilt#process} batch by batch with this executor's models,
 *       loaded once per executor JVM ({@link ExecutorModels}), and yields the rows' JSON lines.</li>
 *   <li>Outputs: {@code all/} and {@code kept/} (JSON Lines part files, the CLI's lines), optionally
 *       {@code parquet/all} and {@code parquet/kept} (same columns), and {@code report.json} /
 *       {@code report.html} from a summary merged across partitions.</li>
 * </ol>
 * Every number of a sample depends only on that sample (seed from its key; scores per image), so
 * the rows do not depend on partitioning. Spark retries failed tasks; a failed job is rerun into a
 * new output folder.
 */
public final class CapFiltJob {

    public static final String ALL = "all";
    public static final String KEPT = "kept";
    public static final String PARQUET = "parquet";

    /** Columns every row has, in their order; the inputs' own fields follow. */
    static final List<String> COLUMNS = List.of("key", "image", "text", "source", "itm", "itc", "kept", "error");

    private CapFiltJob() {}

    /**
     * What the job wrote.
     *
     * @param rows candidate rows in {@code all/}
     * @param inferenceSeconds wall time of the stage that reads, captions, filters and writes {@code all/}
     * @param totalSeconds wall time of the whole job (kept, Parquet and report passes included)
     */
    public record Result(long rows, CapFiltSummary summary, double inferenceSeconds, double totalSeconds) {}

    /**
     * @param out output folder (a local path or any Hadoop file system URI); must not hold outputs yet
     * @param partitions how many partitions samples are spread over (tasks of the inference stage)
     * @param parquet also write Parquet copies
     */
    public static Result run(SparkSession spark, JobSpec spec, List<Path> inputs, String out, int partitions,
            boolean parquet) {
        if (partitions < 1) {
            throw new InputException("the number of partitions must be at least 1, got " + partitions);
        }
        long start = System.nanoTime();
        List<InputFile> files = SampleReader.files(inputs);
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        JavaRDD<InputFile> fileRdd = jsc.parallelize(files, files.size());
        Dataset<Sample> samples = spark.createDataset(fileRdd.flatMap(new ReadFile()).rdd(),
                Encoders.javaSerialization(Sample.class)).repartition(partitions);
        Dataset<String> rows = samples.mapPartitions(new ProcessPartition(spec), Encoders.STRING());
        String allDir = child(out, ALL);
        rows.write().text(allDir);
        double inference = (System.nanoTime() - start) / 1e9;

        Dataset<String> written = spark.read().textFile(allDir);
        written.filter((org.apache.spark.api.java.function.FilterFunction<String>) line -> CandidateRow.fromJson(line)
                .kept()).write().text(child(out, KEPT));

        CapFiltSummary summary = written.javaRDD().aggregate(new CapFiltSummary(), (s, line) -> {
            s.add(CandidateRow.fromJson(line));
            return s;
        }, CapFiltSummary::merge);
        if (parquet) {
            Dataset<Row> table = spark.read().json(allDir);
            List<String> present = Arrays.asList(table.columns());
            List<Column> ordered = new ArrayList<>();
            COLUMNS.stream().filter(present::contains).forEach(c -> ordered.add(functions.col(c)));
            present.stream().filter(c -> !COLUMNS.contains(c)).sorted().forEach(c -> ordered.add(functions.col(c)));
            Dataset<Row> all = table.select(ordered.toArray(Column[]::new));
            all.write().parquet(child(out, PARQUET + "/" + ALL));
            all.filter(functions.col("kept")).write().parquet(child(out, PARQUET + "/" + KEPT));
        }
        writeReport(spark, spec, files, out, summary);
        long count = summary.candidates(CandidateRow.Source.WEB) + summary.candidates(CandidateRow.Source.SYNTHETIC);
        return new Result(count, summary, inference, (System.nanoTime() - start) / 1e9);
    }

    private static void writeReport(SparkSession spark, JobSpec spec, List<InputFile> files, String out,
            CapFiltSummary summary) {
        JsonObject run = new JsonObject();
        run.addProperty("captioner", spec.captioner().path());
        run.addProperty("filter", spec.filter().path());
        JsonArray in = new JsonArray();
        files.forEach(f -> in.add(f.path()));
        run.add("inputs", in);
        run.add("options", spec.options().toJson());
        run.addProperty("engine", "spark " + spark.version() + ", master " + spark.sparkContext().master());
        String json = CapFiltReport.json(summary, run);
        String html = CapFiltReport.html(summary, run, spec.options().threshold(),
                CapFiltReport.thumbnails(files, summary, ImageLoader.defaults()));
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        write(conf, child(out, CapFiltReport.JSON), json);
        write(conf, child(out, CapFiltReport.HTML), html);
    }

    private static void write(Configuration conf, String path, String text) {
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(path);
        try {
            FileSystem fs = p.getFileSystem(conf);
            try (OutputStream o = fs.create(p, true)) {
                o.write(text.getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(path + ": cannot write", e);
        }
    }

    private static String child(String dir, String name) {
        return dir.endsWith("/") ? dir + name : dir + "/" + name;
    }

    /** An input file's samples, read on an executor. */
    static final class ReadFile implements FlatMapFunction<InputFile, Sample> {
        private static final long serialVersionUID = 1L;

        @Override
        public Iterator<Sample> call(InputFile file) {
            SampleIterator it = SampleReader.open(file);
            return new Iterator<>() {
                @Override
                public boolean hasNext() {
                    boolean more = it.hasNext();
                    if (!more) {
                        it.close();
                    }
                    return more;
                }

                @Override
                public Sample next() {
                    return it.next();
                }
            };
        }
    }

    /** One partition's rows, batch by batch, with this executor's shared models. */
    static final class ProcessPartition implements MapPartitionsFunction<Sample, String>, Serializable {
        private static final long serialVersionUID = 1L;

        private final JobSpec spec;

        ProcessPartition(JobSpec spec) {
            this.spec = spec;
        }

        @Override
        public Iterator<String> call(Iterator<Sample> samples) {
            int size = spec.options().batchSize();
            return new Iterator<>() {
                private Iterator<String> lines = List.<String>of().iterator();
                private CapFilt capfilt;

                @Override
                public boolean hasNext() {
                    while (!lines.hasNext() && samples.hasNext()) {
                        if (capfilt == null) {
                            // an empty partition never loads the models
                            capfilt = ExecutorModels.capfilt(spec);
                        }
                        List<Sample> batch = new ArrayList<>(size);
                        while (batch.size() < size && samples.hasNext()) {
                            batch.add(samples.next());
                        }
                        lines = capfilt.process(batch).stream().map(CandidateRow::toJson).iterator();
                    }
                    return lines.hasNext();
                }

                @Override
                public String next() {
                    if (!hasNext()) {
                        throw new NoSuchElementException();
                    }
                    return lines.next();
                }
            };
        }
    }
}
