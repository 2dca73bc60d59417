package dev.blip4j.models.text;

import java.util.BitSet;
import java.util.function.Function;

/**
 * Truncation of a long text without tokenizing all of it: only a prefix is tokenized, cut before a
 * character where BERT's pipeline always ends a word (whitespace it keeps, ASCII punctuation, CJK
 * ideographs it isolates; never a character of an added token), so its tokens are the whole
 * text's leading tokens, as {@code BlipTokenizerEdgeCaseTest.prefixShortcutEqualsFullTokenization}
 * checks on random texts. Tokenizers that are not BERT's are never cut.
 */
final class PrefixCut {

    /** The first prefix tried is this many characters per wanted token (plus 64). */
    private static final int CHARS_PER_TOKEN_BUDGET = 6;

    /**
     * Whitespace that BertNormalizer turns into a space (rather than dropping it as a control
     * character, as it does U+000B, U+000C, U+0085) and BertPreTokenizer splits at.
     */
    private static final String WHITESPACE = " \t\n\r\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
            + "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000";

    private static final String ASCII_PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

    /** Characters before which a text may be cut; null: never cut. */
    private final BitSet cutBefore;

    private PrefixCut(BitSet cutBefore) {
        this.cutBefore = cutBefore;
    }

    static PrefixCut of(TokenizerJson.Prepared prepared) {
        if (!prepared.bertPipeline()) {
            return new PrefixCut(null);
        }
        BitSet cut = new BitSet(0x10000);
        for (char c : WHITESPACE.toCharArray()) {
            cut.set(c);
        }
        for (char c : ASCII_PUNCTUATION.toCharArray()) {
            cut.set(c);
        }
        if (prepared.splitsCjk()) {
            cut.set(0x3400, 0x4DBF + 1);
            cut.set(0x4E00, 0x9FFF + 1);
            cut.set(0xF900, 0xFAFF + 1);
        }
        // An added token spanning the cut would be missed, so its characters are no cut points;
        // one holding whitespace might be matched (normalized) across any whitespace.
        String added = prepared.addedTokenChars();
        for (int i = 0; i < added.length(); i++) {
            char c = added.charAt(i);
            cut.clear(c);
            if (Character.isWhitespace(c) || Character.isSpaceChar(c) || BlipText.isPythonSpace(c)) {
                for (char w : WHITESPACE.toCharArray()) {
                    cut.clear(w);
                }
            }
        }
        return new PrefixCut(cut);
    }

    /**
     * The ids {@code encode} gives for the text, or for a long text at least its first
     * {@code limit}: the text is first encoded up to a cut point after {@code 64 + 6 * limit}
     * characters, then up to one four times further while that gives fewer than {@code limit}
     * ids, then whole.
     */
    long[] leadingIds(String text, int limit, Function<String, long[]> encode) {
        if (cutBefore != null) {
            long budget = 64L + (long) CHARS_PER_TOKEN_BUDGET * limit;
            while (budget < text.length()) {
                int cut = cutPointFrom(text, (int) budget);
                if (cut < 0) {
                    break;
                }
                long[] ids = encode.apply(text.substring(0, cut));
                if (ids.length >= limit) {
                    return ids;
                }
                budget = (long) cut * 4;
            }
        }
        return encode.apply(text);
    }

    private int cutPointFrom(String text, int from) {
        for (int i = Math.max(from, 1); i < text.length(); i++) {
            if (cutBefore.get(text.charAt(i))) {
                return i;
            }
        }
        return -1;
    }
}
