package dev.blip4j.capfilt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blip4j.capfilt.CandidateRow.Source;
import org.junit.jupiter.api.Test;

/** The output line format: field order, numbers, nulls, carried fields, and reading it back. */
class CandidateRowTest {

    @Test
    void fieldsInTheirOrderThenTheInputsOwnAsWritten() {
        CandidateRow r = new CandidateRow("k", "a/b.jpg", "a \"dog\" <b>", Source.SYNTHETIC, 0.75f * 1.0, -0.125, true,
                null, "{\"n\":1.50,\"big\":12345678901234567890,\"o\":{\"x\":[1,null]},\"s\":\"é\"}");
        String line = r.toJson();
        assertEquals("{\"key\":\"k\",\"image\":\"a/b.jpg\",\"text\":\"a \\\"dog\\\" <b>\",\"source\":\"synthetic\","
                + "\"itm\":0.75,\"itc\":-0.125,\"kept\":true,\"n\":1.50,\"big\":12345678901234567890,"
                + "\"o\":{\"x\":[1,null]},\"s\":\"é\"}", line);
        assertEquals(r, CandidateRow.fromJson(line));
        assertEquals(line, CandidateRow.fromJson(line).toJson());
    }

    @Test
    void unscoredRowsWriteNullsAndTheirError() {
        CandidateRow r = new CandidateRow("x.jsonl:3", null, null, Source.WEB, null, null, false, "x.jsonl:3: bad",
                Sample.NO_EXTRA);
        String line = r.toJson();
        assertEquals("{\"key\":\"x.jsonl:3\",\"image\":null,\"text\":null,\"source\":\"web\",\"itm\":null,\"itc\":null,"
                + "\"kept\":false,\"error\":\"x.jsonl:3: bad\"}", line);
        assertEquals(r, CandidateRow.fromJson(line));
        assertTrue(!CandidateRow.fromJson(line).scored());
    }

    @Test
    void foreignLinesAreRefusedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CandidateRow.fromJson("{\"key\":\"k\",\"source\":\"other\",\"kept\":true}"));
        assertTrue(e.getMessage().startsWith("not a CapFilt output row: {\"key\""), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CandidateRow.fromJson("[1]"));
        assertThrows(IllegalArgumentException.class, () -> CandidateRow.fromJson("{\"source\":\"web\"}"));
    }
}
