package dev.blip4j.models.text;

import dev.blip4j.core.InputException;

import java.util.Locale;

/** Text helpers from the official BLIP code that are not part of tokenization itself. */
public final class BlipText {

    private BlipText() {}

    /**
     * BLIP's {@code data/utils.py pre_caption(caption, max_words)}, which the official datasets
     * apply to captions (training and evaluation annotations) but the demo and the model
     * classes do not apply at inference: lower-case; replace each of {@code . ! " ( ) * # : ; ~}
     * by a space; replace every run of two or more whitespace characters by one space; strip
     * trailing {@code \n}, then leading and trailing spaces; keep the first {@code maxWords}
     * space-separated words.
     *
     * <p>Whitespace is Python's ({@code str.isspace()}, as {@code re}'s {@code \s} matches in a
     * str pattern), lower-casing is Java's locale-independent one (Python's {@code str.lower()}
     * agrees on everything but characters new to one Unicode version).
     *
     * @param maxWords how many words to keep; 0 gives the empty string (as in Python)
     * @throws InputException if caption is null or maxWords is negative (Python would slice from
     *     the end, which is never what a caller means)
     */
    public static String preCaption(String caption, int maxWords) {
        if (caption == null) {
            throw new InputException("caption must not be null");
        }
        if (maxWords < 0) {
            throw new InputException("maxWords must not be negative, got " + maxWords);
        }
        String lower = caption.toLowerCase(Locale.ROOT);
        // re.sub(r"([.!\"()*#:;~])", ' ', caption.lower())
        StringBuilder replaced = new StringBuilder(lower.length());
        for (int i = 0; i < lower.length(); i++) {
            char c = lower.charAt(i);
            replaced.append(".!\"()*#:;~".indexOf(c) >= 0 ? ' ' : c);
        }
        // re.sub(r"\s{2,}", ' ', caption)
        StringBuilder collapsed = new StringBuilder(replaced.length());
        for (int i = 0; i < replaced.length(); ) {
            int j = i;
            while (j < replaced.length() && isPythonSpace(replaced.charAt(j))) {
                j++;
            }
            if (j - i >= 2) {
                collapsed.append(' ');
                i = j;
            } else {
                collapsed.append(replaced.charAt(i));
                i++;
            }
        }
        // caption.rstrip('\n').strip(' ')
        int end = collapsed.length();
        while (end > 0 && collapsed.charAt(end - 1) == '\n') {
            end--;
        }
        int start = 0;
        while (start < end && collapsed.charAt(start) == ' ') {
            start++;
        }
        while (end > start && collapsed.charAt(end - 1) == ' ') {
            end--;
        }
        String text = collapsed.substring(start, end);
        // caption.split(' ') and keep max_words of them
        String[] words = text.split(" ", -1);
        if (words.length > maxWords) {
            text = String.join(" ", java.util.Arrays.copyOf(words, maxWords));
        }
        return text;
    }

    /**
     * Python's {@code str.isspace()} for one UTF-16 unit (all such characters are in the BMP):
     * bidirectional class WS, B or S, or general category Zs.
     */
    static boolean isPythonSpace(char c) {
        return (c >= '\t' && c <= '\r')
                || (c >= '\u001c' && c <= '\u001f')
                || c == ' '
                || c == '\u0085'
                || c == '\u00a0'
                || c == '\u1680'
                || (c >= '\u2000' && c <= '\u200a')
                || c == '\u2028'
                || c == '\u2029'
                || c == '\u202f'
                || c == '\u205f'
                || c == '\u3000';
    }

    /** Python's {@code str.strip()} with no argument. */
    static String pythonStrip(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && isPythonSpace(s.charAt(start))) {
            start++;
        }
        while (end > start && isPythonSpace(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(start, end);
    }
}
