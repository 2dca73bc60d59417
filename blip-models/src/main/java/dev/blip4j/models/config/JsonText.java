package dev.blip4j.models.config;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What is wrong with text Gson could not parse, in a few words for an error message. Gson's own
 * messages carry a JSON path (255 levels of {@code [0]} for a deeply nested document), a link to
 * its troubleshooting page and the class names of the exceptions it wraps.
 */
public final class JsonText {

    /** Gson's {@code JsonReader} refuses documents nested deeper than this. */
    public static final int MAX_NESTING = 255;

    private static final Pattern POSITION = Pattern.compile(" at line (\\d+) column (\\d+)");

    private JsonText() {}

    /** The problem Gson found, e.g. {@code nested deeper than 255 levels (line 1, column 257)}. */
    public static String problem(Throwable e) {
        Throwable root = e;
        for (int depth = 0; root.getCause() != null && depth < 8; depth++) {
            root = root.getCause();
        }
        String m = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        m = m.lines().findFirst().orElse(m); // the second line is a link to Gson's troubleshooting page
        Matcher at = POSITION.matcher(m);
        String where = at.find() ? " (line " + at.group(1) + ", column " + at.group(2) + ")" : "";
        if (m.startsWith("Nesting limit")) {
            return "nested deeper than " + MAX_NESTING + " levels" + where;
        }
        int cut = at.find(0) ? at.start() : m.indexOf(" path $");
        String what = cut >= 0 ? m.substring(0, cut) : m;
        if (what.startsWith("Use JsonReader.setStrictness")) {
            what = "malformed JSON";
        }
        return what + where;
    }
}
