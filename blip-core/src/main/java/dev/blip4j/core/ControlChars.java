package dev.blip4j.core;

/**
 * Makes text from files safe to show on a terminal. A tensor name, a JSON key or a file name can
 * hold escape sequences that retitle the window, move the cursor or clear the line (so that a
 * forged {@code error:} line appears), line breaks that split one line of output in two, and bidi
 * overrides that display text in another order than it is read. Every such character becomes a
 * visible escape: {@code \n}, {@code \r}, {@code \t}, {@code \x1b}, {@code \u2028}.
 *
 * <p>Escaped: C0 controls and DEL, C1 controls (NEL and CSI among them), the line and paragraph
 * separators U+2028/U+2029, and the bidi controls U+061C, U+200E, U+200F, U+202A-U+202E,
 * U+2066-U+2069. Everything else, backslashes included, is left as it is.
 */
public final class ControlChars {

    private ControlChars() {}

    /** {@code text} with every control character escaped; the same instance when there is none. */
    public static String escape(CharSequence text) {
        if (text == null) {
            return null;
        }
        int first = firstControl(text);
        if (first < 0) {
            return text.toString();
        }
        StringBuilder out = new StringBuilder(text.length() + 16).append(text, 0, first);
        for (int i = first; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!isControl(c)) {
                out.append(c);
            } else if (c == '\n') {
                out.append("\\n");
            } else if (c == '\r') {
                out.append("\\r");
            } else if (c == '\t') {
                out.append("\\t");
            } else if (c < 0x100) {
                out.append(String.format("\\x%02x", (int) c));
            } else {
                out.append(String.format("\\u%04x", (int) c));
            }
        }
        return out.toString();
    }

    /** Whether {@code c} is escaped by {@link #escape}. */
    public static boolean isControl(char c) {
        return c < 0x20 || (c >= 0x7f && c <= 0x9f)
                || c == '\u2028' || c == '\u2029'
                || c == '\u061c' || c == '\u200e' || c == '\u200f'
                || (c >= '\u202a' && c <= '\u202e')
                || (c >= '\u2066' && c <= '\u2069');
    }

    private static int firstControl(CharSequence text) {
        for (int i = 0; i < text.length(); i++) {
            if (isControl(text.charAt(i))) {
                return i;
            }
        }
        return -1;
    }
}
