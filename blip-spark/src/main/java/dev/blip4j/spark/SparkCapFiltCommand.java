package dev.blip4j.spark;

import dev.blip4j.cli.CapFiltArgs;
import dev.blip4j.cli.CapFiltCommand;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "capfilt", mixinStandardHelpOptions = true,
        description = {"CapFilt as a Spark job: the options of blip capfilt, plus --master, --partitions, --parquet.",
                "Writes all/ and kept/ (JSON Lines part files), report.json, report.html, and parquet/ when asked."})
final class SparkCapFiltCommand implements Callable<Integer> {

    @Mixin
    CapFiltArgs args;

    @Option(names = "--master", paramLabel = "URL",
            description = "Spark master, e.g. local[2] (default: what spark-submit or spark.master says, else local[*])")
    String master;

    @Option(names = "--partitions", paramLabel = "N",
            description = "partitions samples are spread over (default: Spark's default parallelism)")
    Integer partitions;

    @Option(names = "--parquet", description = "also write Parquet copies of all and kept under parquet/")
    boolean parquet;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        var options = args.options(spec.commandLine());
        SparkSession.Builder builder = SparkSession.builder().appName("blip capfilt");
        if (master != null) {
            builder.master(master);
        } else if (!new org.apache.spark.SparkConf().contains("spark.master")) {
            builder.master("local[*]");
        }
        boolean ours = SparkSession.getDefaultSession().isEmpty();
        SparkSession spark = builder.getOrCreate();
        if (ours) {
            // Spark's own progress and INFO lines would bury the summary; warnings and errors stay
            spark.sparkContext().setLogLevel("WARN");
        }
        int exit;
        try {
            int n = partitions != null ? partitions : spark.sparkContext().defaultParallelism();
            int threads = args.threads() != null ? args.threads()
                    : Integer.parseInt(spark.conf().get("spark.task.cpus", "1"));
            if (threads < 1) {
                throw new dev.blip4j.core.InputException("--threads must be at least 1, got " + threads);
            }
            JobSpec job = new JobSpec(model(args.captioner()), model(args.filter()), options, threads);
            CapFiltJob.Result r = CapFiltJob.run(spark, job, args.inputs(), args.out().toString(), n, parquet);
            CapFiltCommand.printCounts(out, r.summary());
            exit = CapFiltCommand.exitCode(r.summary());
            out.printf(Locale.ROOT, "%d rows in %.1f s (captioning and filtering %.1f s) on %s with %d partitions; "
                    + "wrote %s%n", r.rows(), r.totalSeconds(), r.inferenceSeconds(), spark.sparkContext().master(), n,
                    args.out());
        } finally {
            if (ours) {
                spark.stop();
            }
        }
        out.flush();
        return exit;
    }

    private ModelSpec model(Path path) {
        return new ModelSpec(path.toString(), args.tokenizer() == null ? null : args.tokenizer().toString(),
                args.imageSize(), args.device(), args.dtype());
    }
}
