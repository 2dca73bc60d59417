package dev.blip4j.models.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blip4j.core.InputException;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.util.stream.Stream;

import org.junit.jupiter.params.provider.Arguments;

/**
 * {@link BlipText#preCaption} against values computed by running BLIP's {@code data/utils.py
 * pre_caption} (Python 3) on the same inputs.
 */
class BlipTextTest {

    static Stream<Arguments> preCaptionCases() {
        return Stream.of(
                Arguments.of("A BLUE elephant is looking near the Café with a kumquat, holding pizza and umbrella!", 50,
                        "a blue elephant is looking near the café with a kumquat, holding pizza and umbrella"),
                Arguments.of("  Two dogs... PLAYING,   running!!  \n", 50, "two dogs playing, running"),
                Arguments.of("hello\tworld", 50, "hello\tworld"),
                Arguments.of("a  \t b", 50, "a b"),
                Arguments.of("(parens) *star* #hash: semi; tilde~ \"quote\" it's [ok] {x} a-b", 50,
                        "parens star hash semi tilde quote it's [ok] {x} a-b"),
                Arguments.of("line\n", 50, "line"),
                Arguments.of("x\n\n", 50, "x"),
                Arguments.of("tab\t", 50, "tab\t"),
                Arguments.of("ΣΑΣ İstanbul", 50, "σας i\u0307stanbul"),
                Arguments.of("", 50, ""),
                Arguments.of("a b c", 0, ""),
                Arguments.of("a\u00a0\u00a0b\u001c\u001cc\u3000d", 50, "a b c\u3000d"),
                Arguments.of("one two three four five", 3, "one two three"),
                Arguments.of("one  two\n\nthree", 2, "one two"),
                Arguments.of("...", 50, ""),
                Arguments.of("\n a \n", 50, "a"));
    }

    @ParameterizedTest
    @MethodSource("preCaptionCases")
    void preCaptionMatchesBlip(String caption, int maxWords, String expected) {
        assertEquals(expected, BlipText.preCaption(caption, maxWords));
    }

    @Test
    void preCaptionIsNotAppliedByTheTokenizer() {
        try (BlipTokenizer tok = BlipTokenizer.fromTokenizerJson(Golden.tokenizerDir().resolve("tokenizer.json"))) {
            String text = "two dogs playing, running!";
            // the tokenizer keeps the '!' (id 5) that pre_caption would remove
            assertEquals(5, tok.encode(text, 35).ids()[9]);
            assertEquals(10, tok.encode(BlipText.preCaption(text, 50), 35).length());
        }
    }

    @Test
    void preCaptionRefusesBadArguments() {
        assertThrows(InputException.class, () -> BlipText.preCaption(null, 50));
        assertThrows(InputException.class, () -> BlipText.preCaption("a", -1));
    }

    @Test
    void pythonWhitespace() {
        // the characters of Python's str.isspace(), all in the BMP
        String spaces = "\t\n\u000b\u000c\r\u001c\u001d\u001e\u001f \u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004"
                + "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000";
        int count = 0;
        for (char c = 0; c < Character.MAX_VALUE; c++) {
            if (BlipText.isPythonSpace(c)) {
                assertTrue(spaces.indexOf(c) >= 0, Integer.toHexString(c));
                count++;
            }
        }
        assertEquals(spaces.length(), count);
        assertEquals("a b", BlipText.pythonStrip("\u3000\t a b\u0085\n"));
        assertEquals("", BlipText.pythonStrip(" \t"));
    }
}
