package dev.blip4j.models.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.blip4j.core.ModelException;
import dev.blip4j.models.testing.FuzzContract;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/**
 * Coverage-guided fuzzing of the safetensors reader. Under plain {@code mvn verify} this runs the
 * committed inputs in {@code SafeTensorsFuzzTestInputs/safetensors/} (seeds and every past finding)
 * as regression tests; with {@code JAZZER_FUZZ=1} it fuzzes for {@code maxDuration} (see
 * {@code .ci/fuzz}). Contract: a {@link TensorData} per header entry whose bytes match its shape and
 * dtype, or a {@link ModelException} naming the file; nothing else, and no input runs for long.
 */
class SafeTensorsFuzzTest {

    private static final Path FILE = FuzzContract.scratch("fuzz.safetensors");

    @FuzzTest(maxDuration = "60s")
    @Timeout(value = 20, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void safetensors(byte[] data) {
        FuzzContract.write(FILE, data);
        SafeTensorsFile read = FuzzContract.readOrRefuse(ModelException.class, FILE.toString(),
                () -> SafeTensors.read(FILE));
        if (read == null) {
            return;
        }
        for (TensorData t : read.tensors().values()) {
            assertEquals(TensorData.numel(t.shape()) * t.dtype().byteSize(), t.data().remaining(),
                    "bytes of a tensor the reader accepted");
        }
    }
}
