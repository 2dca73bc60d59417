package dev.blip4j.cli;

import com.google.gson.Gson;
import dev.blip4j.core.ControlChars;
import dev.blip4j.models.config.JsonText;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How a command prints its result rows: plain text under a header line (tab-separated columns),
 * a JSON array at the end ({@code --json}), or JSON Lines ({@code --jsonl}), one object per line
 * written and flushed as each row is ready, so that a long run can be followed and piped.
 */
final class Rows {

    enum Format { PLAIN, JSON, JSONL }

    private static final Gson ONE_LINE = new com.google.gson.GsonBuilder().disableHtmlEscaping()
            .registerTypeAdapterFactory(JsonText.finiteOrNull()).create();

    private final PrintWriter out;
    private final Format format;
    private final String[] header;
    private final List<Map<String, Object>> collected = new ArrayList<>();
    private boolean nulls;
    private boolean headed;

    Rows(PrintWriter out, Format format, String... header) {
        this.out = out;
        this.format = format;
        this.header = header;
    }

    /** JSON keeps fields whose value is null (a column that may be empty). */
    Rows withNulls() {
        nulls = true;
        return this;
    }

    boolean plain() {
        return format == Format.PLAIN;
    }

    /** One result: {@code json} for the JSON formats, {@code columns} (under the header) for plain text. */
    void add(Map<String, Object> json, Object... columns) {
        switch (format) {
            case JSON -> collected.add(json);
            case JSONL -> jsonLine(out, json, nulls);
            case PLAIN -> {
                head();
                out.println(line(columns));
                out.flush();
            }
        }
    }

    /** One JSON object on one line, flushed at once: a JSON Lines record. */
    static void jsonLine(PrintWriter out, Map<String, Object> json, boolean nulls) {
        out.println((nulls ? ONE_LINE.newBuilder().serializeNulls().create() : ONE_LINE).toJson(json));
        out.flush();
    }

    /** A line of plain text only (a group's label, or columns outside the JSON rows), after the header. */
    void note(Object... columns) {
        if (format == Format.PLAIN) {
            head();
            out.println(line(columns));
        }
    }

    /**
     * Tab-separated columns, each with its control characters escaped: paths, captions and texts
     * come from files, and a tab or line break in one would shift or split the columns.
     */
    private static String line(Object... columns) {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < columns.length; i++) {
            line.append(i == 0 ? "" : "\t").append(ControlChars.escape(String.valueOf(columns[i])));
        }
        return line.toString();
    }

    /** Ends the output: the JSON array for {@code --json}. */
    void finish() {
        if (format == Format.JSON) {
            out.println((nulls ? Json.GSON.newBuilder().serializeNulls().create() : Json.GSON).toJson(collected));
        }
        out.flush();
    }

    private void head() {
        if (!headed && header.length > 0) {
            out.println(String.join("\t", header));
            headed = true;
        }
    }
}
