package dev.blip4j.models.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.blip4j.core.ModelException;
import dev.blip4j.models.testing.FuzzContract;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/**
 * Coverage-guided fuzzing of tokenizer.json loading: the Java check and rebuild
 * ({@link TokenizerJsonValidator}), then HuggingFace's native library on what passed it. Regression
 * mode (plain {@code mvn verify}) replays {@code TokenizerJsonFuzzTestInputs/tokenizer/};
 * {@code JAZZER_FUZZ=1} fuzzes (see {@code .ci/fuzz}). Contract: a tokenizer that encodes and
 * decodes, or a {@link ModelException} naming the file; nothing else. A document that passed the
 * check and still made the native library panic would abort the JVM: Jazzer reports that as a
 * crash and keeps the input.
 *
 * <p>Seeds: the golden tokenizer.json (302 WordPiece tokens with [DEC] and [ENC]), the same with
 * {@code BertProcessing} and without BLIP's tokens, as the hub ships it.
 */
class TokenizerJsonFuzzTest {

    private static final Path FILE = FuzzContract.scratch("tokenizer.json");

    @FuzzTest(maxDuration = "60s")
    @Timeout(value = 20, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void tokenizer(byte[] data) {
        FuzzContract.write(FILE, data);
        BlipTokenizer tok = FuzzContract.readOrRefuse(ModelException.class, FILE.toString(),
                () -> BlipTokenizer.fromTokenizerJson(FILE));
        if (tok == null) {
            return;
        }
        try (tok) {
            Encoding e = tok.encode("a [SEP] dog, café 猫 on the couch", 16);
            assertEquals(tok.clsId(), e.ids()[0]);
            assertEquals(tok.sepId(), e.ids()[e.ids().length - 1]);
            tok.decode(e.ids());
        }
    }
}
