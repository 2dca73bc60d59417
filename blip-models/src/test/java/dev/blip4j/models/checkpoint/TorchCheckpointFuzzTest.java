package dev.blip4j.models.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.blip4j.core.ModelException;
import dev.blip4j.models.testing.FuzzContract;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Timeout;

/**
 * Coverage-guided fuzzing of the {@code torch.save} reader, in two targets:
 * <ul>
 *   <li>{@link #checkpoint}: the input is the whole file (zip structure, entry names and sizes,
 *       storages, byte order, pickle);</li>
 *   <li>{@link #pickle}: the input is {@code data.pkl} inside an otherwise valid archive holding
 *       the storages of {@code torch_mixed.pth}, so mutations reach the unpickler, the allow-list,
 *       persistent ids, tensor views and strided copies instead of dying on a zip CRC.</li>
 * </ul>
 * Regression mode (plain {@code mvn verify}) replays {@code TorchCheckpointFuzzTestInputs/<target>/};
 * {@code JAZZER_FUZZ=1} fuzzes (see {@code .ci/fuzz}). Contract: a state dict whose tensors' bytes
 * match their shapes, or a {@link ModelException} naming the file; nothing else, and never slowly.
 */
class TorchCheckpointFuzzTest {

    private static final Path FILE = FuzzContract.scratch("fuzz.pth");
    private static final Path PICKLE_FILE = FuzzContract.scratch("pickle.pth");
    private static final Map<String, byte[]> STORAGES = storagesOf("torch_mixed.pth");

    @FuzzTest(maxDuration = "60s")
    @Timeout(value = 20, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void checkpoint(byte[] data) {
        FuzzContract.write(FILE, data);
        check(FILE);
    }

    @FuzzTest(maxDuration = "60s")
    @Timeout(value = 20, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void pickle(byte[] data) {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("archive/data.pkl", data);
        entries.putAll(STORAGES);
        writeStoredZip(PICKLE_FILE, entries);
        check(PICKLE_FILE);
    }

    private static void check(Path file) {
        StateDict sd = FuzzContract.readOrRefuse(ModelException.class, file.toString(), () -> TorchCheckpoint.read(file));
        if (sd == null) {
            return;
        }
        for (TensorData t : sd.tensors().values()) {
            assertEquals(TensorData.numel(t.shape()) * t.dtype().byteSize(), t.data().remaining(),
                    "bytes of a tensor the reader accepted");
        }
    }

    /** Every entry of a real torch file except its pickle, renamed under {@code archive/}. */
    private static Map<String, byte[]> storagesOf(String fixture) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        try (ZipFile zip = new ZipFile(Golden.torchFixture(fixture).toFile())) {
            for (Enumeration<? extends ZipEntry> en = zip.entries(); en.hasMoreElements(); ) {
                ZipEntry e = en.nextElement();
                String rest = e.getName().substring(e.getName().indexOf('/') + 1);
                if (!rest.equals("data.pkl") && !e.isDirectory()) {
                    out.put("archive/" + rest, zip.getInputStream(e).readAllBytes());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** Stored (uncompressed) entries, as torch writes them; cheap enough to do per input. */
    private static void writeStoredZip(Path file, Map<String, byte[]> entries) {
        try (OutputStream os = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(os)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                ZipEntry entry = new ZipEntry(e.getKey());
                entry.setMethod(ZipEntry.STORED);
                entry.setSize(e.getValue().length);
                java.util.zip.CRC32 crc = new java.util.zip.CRC32();
                crc.update(e.getValue());
                entry.setCrc(crc.getValue());
                zip.putNextEntry(entry);
                zip.write(e.getValue());
                zip.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
