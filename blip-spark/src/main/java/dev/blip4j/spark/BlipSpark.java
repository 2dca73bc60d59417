package dev.blip4j.spark;

import dev.blip4j.cli.BlipCli;
import java.io.PrintWriter;
import picocli.CommandLine.Command;

/**
 * {@code blip-spark.jar}'s entry point: BLIP jobs on Apache Spark, kept out of the library and of
 * {@code blip.jar}. Run it with {@code spark-submit} (Spark is provided by the cluster), or locally
 * with Spark on the class path. Errors and exit codes are those of {@code blip}.
 */
@Command(name = "blip-spark", mixinStandardHelpOptions = true, version = "blip4j 0.1.0",
        description = "BLIP jobs on Apache Spark.", subcommands = {SparkCapFiltCommand.class})
public final class BlipSpark {

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        return BlipCli.run(new BlipSpark(), args, out, err);
    }
}
