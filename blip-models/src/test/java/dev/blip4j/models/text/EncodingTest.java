package dev.blip4j.models.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Value semantics and immutability of the encoding records. */
class EncodingTest {

    @Test
    void encodingIsAnImmutableValue() {
        long[] ids = {2, 47, 124, 3};
        Encoding e = new Encoding(ids);
        ids[1] = 99;
        assertArrayEquals(new long[] {2, 47, 124, 3}, e.ids());
        e.ids()[0] = 99;
        assertArrayEquals(new long[] {2, 47, 124, 3}, e.ids());
        assertEquals(new Encoding(new long[] {2, 47, 124, 3}), e);
        assertEquals(new Encoding(new long[] {2, 47, 124, 3}).hashCode(), e.hashCode());
        assertEquals(4, e.length());
        assertArrayEquals(new long[] {1, 1, 1, 1}, e.attentionMask());
        assertEquals("Encoding[2, 47, 124, 3]", e.toString());

        Encoding enc = e.withFirstToken(303);
        assertArrayEquals(new long[] {303, 47, 124, 3}, enc.ids());
        assertArrayEquals(new long[] {2, 47, 124, 3}, e.ids());
        assertThrows(IllegalStateException.class, () -> new Encoding(new long[0]).withFirstToken(1));
        assertThrows(IllegalArgumentException.class, () -> new Encoding(null));
    }

    @Test
    void batchEncodingIsAnImmutableValue() {
        long[][] ids = {{2, 47, 3, 0}, {2, 47, 124, 3}};
        long[][] mask = {{1, 1, 1, 0}, {1, 1, 1, 1}};
        BatchEncoding b = new BatchEncoding(ids, mask);
        ids[0][0] = 99;
        mask[0][3] = 1;
        assertArrayEquals(new long[][] {{2, 47, 3, 0}, {2, 47, 124, 3}}, b.ids());
        assertArrayEquals(new long[][] {{1, 1, 1, 0}, {1, 1, 1, 1}}, b.attentionMask());
        b.ids()[1][1] = 5;
        assertArrayEquals(new long[] {2, 47, 124, 3}, b.ids()[1]);
        assertEquals(new BatchEncoding(b.ids(), b.attentionMask()), b);
        assertEquals(new BatchEncoding(b.ids(), b.attentionMask()).hashCode(), b.hashCode());
        assertNotEquals(new BatchEncoding(b.ids(), new long[][] {{1, 1, 1, 1}, {1, 1, 1, 1}}), b);

        assertEquals(2, b.size());
        assertEquals(4, b.width());
        assertTrue(b.isRectangular());
        assertArrayEquals(new int[] {3, 4}, b.lengths());
        assertEquals(new Encoding(new long[] {2, 47, 3}), b.row(0));
        assertArrayEquals(new long[] {2, 47, 3, 0, 2, 47, 124, 3}, b.flatIds());
        assertArrayEquals(new long[] {1, 1, 1, 0, 1, 1, 1, 1}, b.flatAttentionMask());

        BatchEncoding withEnc = b.withFirstToken(303);
        assertArrayEquals(new long[][] {{303, 47, 3, 0}, {303, 47, 124, 3}}, withEnc.ids());
        assertArrayEquals(b.attentionMask(), withEnc.attentionMask());
        assertEquals(2, b.ids()[0][0]);
    }

    @Test
    void raggedBatch() {
        BatchEncoding b = new BatchEncoding(new long[][] {{2, 3}, {2, 47, 3}}, new long[][] {{1, 1}, {1, 1, 1}});
        assertFalse(b.isRectangular());
        assertThrows(IllegalStateException.class, b::width);
        assertThrows(IllegalStateException.class, b::flatIds);
        assertArrayEquals(new int[] {2, 3}, b.lengths());
        assertEquals(new Encoding(new long[] {2, 47, 3}), b.row(1));
    }

    @Test
    void refusesInconsistentShapes() {
        assertThrows(IllegalArgumentException.class, () -> new BatchEncoding(new long[][] {{1}}, new long[][] {}));
        assertThrows(IllegalArgumentException.class, () -> new BatchEncoding(new long[][] {{1, 2}}, new long[][] {{1}}));
        assertThrows(IllegalArgumentException.class, () -> new BatchEncoding(null, new long[][] {}));
        assertThrows(IllegalArgumentException.class, () -> new BatchEncoding(new long[][] {null}, new long[][] {{1}}));
        assertThrows(IllegalStateException.class,
                () -> new BatchEncoding(new long[][] {{}}, new long[][] {{}}).withFirstToken(1));
    }
}
