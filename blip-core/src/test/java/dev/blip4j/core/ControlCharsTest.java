package dev.blip4j.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ControlCharsTest {

    @Test
    void aTerminalAttackInATensorNameBecomesVisibleText() {
        String hostile = "x\u001b]0;owned\u0007\u001b[2Kerror: fake";
        assertEquals("x\\x1b]0;owned\\x07\\x1b[2Kerror: fake", ControlChars.escape(hostile));
    }

    @Test
    void everyClassTheIssueNamesIsEscaped() {
        assertEquals("a\\nb\\rc\\td\\x0be\\x0cf\\x7fg", ControlChars.escape("a\nb\rc\td\u000be\u000cf\u007fg"));
        assertEquals("nel\\x85 csi\\x9b", ControlChars.escape("nel\u0085 csi\u009b"));
        assertEquals("\\u2028\\u2029", ControlChars.escape("\u2028\u2029"));
        assertEquals("\\u202eevil\\u202c \\u2066\\u2069 \\u200e\\u200f\\u061c",
                ControlChars.escape("\u202eevil\u202c \u2066\u2069 \u200e\u200f\u061c"));
    }

    @Test
    void ordinaryTextIsUntouched() {
        String plain = "visual_encoder.blocks.0.attn.qkv.weight C:\\models\\x.pth café 猫 \u00a0";
        assertSame(plain, ControlChars.escape(plain));
        assertFalse(ControlChars.isControl(' '));
        assertTrue(ControlChars.isControl('\u0000'));
    }

    @Test
    void blipExceptionMessagesAreAlwaysSafeToPrint() {
        BlipException e = new ModelException("model.pth: 1 unexpected tensor(s): x\u001b[2K\nerror: fake");
        assertEquals("model.pth: 1 unexpected tensor(s): x\\x1b[2K\\nerror: fake", e.getMessage());
        assertEquals(null, new InputException(null).getMessage());
    }
}
