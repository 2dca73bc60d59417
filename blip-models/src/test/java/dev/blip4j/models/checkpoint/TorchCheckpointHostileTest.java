package dev.blip4j.models.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blip4j.core.ModelException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkpoints are untrusted input: each test crafts a malicious or broken file and checks that the
 * reader refuses it with a {@link ModelException} naming the file and the problem, before anything
 * the pickle asks for is called.
 */
class TorchCheckpointHostileTest {

    private static final String ALLOWED = "(only torch tensor rebuild functions, storages and OrderedDict are allowed)";

    @TempDir
    Path dir;

    // --- pickle globals ----------------------------------------------------------------------------

    @Test
    void osSystemViaGlobalIsRefusedBeforeBeingCalled() throws IOException {
        Path canary = dir.resolve("pwned");
        byte[] pickle = new Crafted.Raw().proto(2)
                .global("os", "system").unicode("touch " + canary).op(0x85 /* TUPLE1 */, 'R', '.').build();
        Path f = Crafted.torchZip(dir.resolve("model.pth"), pickle, Map.of());
        assertRefused(f, "model.pth: refuses pickle global 'os.system' " + ALLOWED);
        assertFalse(Files.exists(canary));
    }

    @Test
    void builtinsEvalViaStackGlobalProtocol4IsRefused() throws IOException {
        byte[] pickle = new Crafted.Raw().proto(4)
                .shortUnicode("builtins").op(0x94 /* MEMOIZE */).shortUnicode("eval").op(0x94)
                .op(0x93 /* STACK_GLOBAL */).shortUnicode("__import__('os').system('id')").op(0x85, 'R', '.').build();
        assertRefused(Crafted.torchZip(dir.resolve("model.pth"), pickle, Map.of()),
                "refuses pickle global 'builtins.eval' " + ALLOWED);
    }

    @Test
    void subprocessPopenIsRefused() throws IOException {
        byte[] pickle = new Crafted.Raw().proto(2).global("subprocess", "Popen")
                .op(']').unicode("sh").op('a').op(0x85, 'R', '.').build();
        assertRefused(Crafted.torchZip(dir.resolve("model.pth"), pickle, Map.of()), "refuses pickle global 'subprocess.Popen'");
    }

    @Test
    void otherDangerousGlobalsAreRefused() throws IOException {
        for (String[] g : new String[][] {
                {"posix", "system"}, {"__builtin__", "getattr"}, {"builtins", "exec"}, {"torch", "load"},
                {"torch.serialization", "load"}, {"numpy.core.multiarray", "_reconstruct"}, {"torch", "device"}}) {
            byte[] pickle = new Crafted.Raw().proto(2).global(g[0], g[1]).op(')', 'R', '.').build();
            Path f = Crafted.torchZip(dir.resolve("model-" + g[1] + ".pth"), pickle, Map.of());
            assertRefused(f, "refuses pickle global '" + g[0] + "." + g[1] + "'");
        }
    }

    @Test
    void instOpcodeGoesThroughTheAllowList() throws IOException {
        // protocol 0: MARK, a string argument, INST 'os\nsystem\n'
        byte[] pickle = new Crafted.Raw().op('(').unicode("id").op('i').ascii("os\nsystem\n").op('.').build();
        assertRefused(Crafted.torchZip(dir.resolve("model.pth"), pickle, Map.of()), "refuses pickle global 'os.system'");
    }

    @Test
    void refusedGlobalHiddenAfterValidTensorsStillFails() throws IOException {
        // a valid one-tensor state dict whose pickle then builds {'model': sd, 'x': os.system('id')}
        byte[] sd = Crafted.oneTensor("w", "FloatStorage", "0", 4, 0, new long[] {4}, new long[] {1});
        byte[] body = Arrays.copyOf(sd, sd.length - 1); // drop STOP: the OrderedDict is on the stack
        byte[] pickle = new Crafted.Raw().bytes(body).op('q', 200) // BINPUT 200 (unused)
                .unicode("x").global("os", "system").unicode("id").op(0x85, 'R', 0x86 /* TUPLE2 */, '.').build();
        Path f = Crafted.torchZip(dir.resolve("model.pth"), pickle, Map.of("0", Crafted.iota(4)));
        assertRefused(f, "refuses pickle global 'os.system'");
    }

    @Test
    void callingSomethingThatIsNotAnAllowedCallableIsRefused() throws IOException {
        byte[] callStorageType = new Crafted.Raw().proto(2).global("torch", "FloatStorage").op(')', 'R', '.').build();
        assertRefused(Crafted.torchZip(dir.resolve("a.pth"), callStorageType, Map.of()), "tries to call torch.FloatStorage");

        byte[] callString = new Crafted.Raw().proto(2).unicode("os.system").op(')', 'R', '.').build();
        assertRefused(Crafted.torchZip(dir.resolve("b.pth"), callString, Map.of()), "tries to call str");

        byte[] newobjDict = new Crafted.Raw().proto(2).op('}', ')', 0x81 /* NEWOBJ */, '.').build();
        assertRefused(Crafted.torchZip(dir.resolve("c.pth"), newobjDict, Map.of()), "tries to call dict");

        byte[] obj = new Crafted.Raw().proto(2).op('(').unicode("x").op('o', '.').build();
        assertRefused(Crafted.torchZip(dir.resolve("d.pth"), obj, Map.of()), "tries to call str");
    }

    @Test
    void buildOnAnythingButAnOrderedDictIsRefused() throws IOException {
        byte[] pickle = new Crafted.Raw().proto(2).op('}', '}', 'b', '.').build();
        assertRefused(Crafted.torchZip(dir.resolve("model.pth"), pickle, Map.of()), "BUILD", "dict");
    }

    @Test
    void persistentIdMustNameAStorage() throws IOException {
        byte[] notTuple = new Crafted.Raw().proto(2).unicode("x").op('Q', '.').build();
        assertRefused(Crafted.torchZip(dir.resolve("a.pth"), notTuple, Map.of()), "persistent id");

        byte[] badType = new Crafted.Raw().proto(2).op('(').unicode("storage").unicode("FloatStorage").unicode("0")
                .unicode("cpu").op('K', 4, 't', 'Q', '.').build();
        assertRefused(Crafted.torchZip(dir.resolve("b.pth"), badType, Map.of("0", Crafted.iota(4))), "storage class str");
    }

    // --- the archive -------------------------------------------------------------------------------

    @Test
    void truncatedZip() throws IOException {
        byte[] golden = Files.readAllBytes(Golden.pth("caption"));
        Path f = Files.write(dir.resolve("model.pth"), Arrays.copyOf(golden, golden.length / 2));
        assertRefused(f, "model.pth", "corrupt or truncated zip");
    }

    @Test
    void zipWithItsEndCutOffByOneByte() throws IOException {
        byte[] golden = Files.readAllBytes(Golden.pth("itm"));
        Path f = Files.write(dir.resolve("model.pth"), Arrays.copyOf(golden, golden.length - 1));
        assertRefused(f, "corrupt or truncated zip");
    }

    @Test
    void emptyFile() throws IOException {
        assertRefused(Files.write(dir.resolve("model.pth"), new byte[0]), "model.pth: file is empty");
    }

    @Test
    void missingFile() {
        assertRefused(dir.resolve("nothing.pth"), "nothing.pth: no such file");
    }

    @Test
    void notAZip() throws IOException {
        Path f = Files.writeString(dir.resolve("model.pth"), "<html>404 not found</html>");
        assertRefused(f, "not a zip archive", "3c 68 74 6d");
    }

    @Test
    void legacyTorchFormatGetsActionableMessage() throws IOException {
        // torch < 1.6 wrote a bare pickle starting with the magic number 0x1950a86a20f9469cfc6c
        byte[] legacy = {(byte) 0x80, 2, (byte) 0x8a, 0x0a, 0x6c, (byte) 0xfc, (byte) 0x9c, 0x46, (byte) 0xf9, 0x20,
            0x6a, (byte) 0xa8, 0x50, 0x19, 0x2e};
        assertRefused(Files.write(dir.resolve("model.pth"), legacy),
                "legacy (non-zip) torch serialization is not supported, re-save with torch.save(..., _use_new_zipfile_serialization=True)");
    }

    @Test
    void zipEntryClimbingOutOfTheArchiveIsRefused() throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("archive/data.pkl", Crafted.oneTensor("w", "FloatStorage", "0", 4, 0, new long[] {4}, new long[] {1}));
        entries.put("archive/data/0", Crafted.iota(4));
        entries.put("archive/../../evil.sh", "rm -rf /".getBytes(StandardCharsets.US_ASCII));
        assertRefused(Crafted.zip(dir.resolve("model.pth"), entries), "'archive/../../evil.sh'", "..");

        entries.remove("archive/../../evil.sh");
        entries.put("/etc/passwd", new byte[1]);
        assertRefused(Crafted.zip(dir.resolve("abs.pth"), entries), "'/etc/passwd'", "absolute");
    }

    @Test
    void unknownByteOrder() throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("archive/data.pkl", Crafted.oneTensor("w", "FloatStorage", "0", 4, 0, new long[] {4}, new long[] {1}));
        entries.put("archive/byteorder", "middle\n".getBytes(StandardCharsets.US_ASCII));
        entries.put("archive/data/0", Crafted.iota(4));
        assertRefused(Crafted.zip(dir.resolve("model.pth"), entries), "unknown byteorder 'middle'");
        entries.put("archive/byteorder", new byte[100]);
        assertRefused(Crafted.zip(dir.resolve("long.pth"), entries), "byteorder", "100 bytes");
    }

    @Test
    void missingDataPkl() throws IOException {
        Path f = Crafted.zip(dir.resolve("model.pth"), Map.of("archive/data/0", Crafted.iota(4), "archive/version", new byte[] {'3'}));
        assertRefused(f, "no <archive>/data.pkl", "archive/data/0");
    }

    @Test
    void severalDataPklAreAmbiguous() throws IOException {
        byte[] p = Crafted.oneTensor("w", "FloatStorage", "0", 4, 0, new long[] {4}, new long[] {1});
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("a/data.pkl", p);
        entries.put("b/data.pkl", p);
        assertRefused(Crafted.zip(dir.resolve("model.pth"), entries), "several data.pkl", "a/data.pkl", "b/data.pkl");
    }

    @Test
    void torchScriptArchiveIsNamedAsSuch() throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("m/data.pkl", new Crafted.Raw().proto(2).op('}', '.').build());
        entries.put("m/constants.pkl", new Crafted.Raw().proto(2).op(')', '.').build());
        entries.put("m/code/__torch__.py", new byte[0]);
        assertRefused(Crafted.zip(dir.resolve("model.pt"), entries), "TorchScript");
    }

    // --- storages and views ------------------------------------------------------------------------

    @Test
    void storageSmallerThanItsDeclaredNumel() throws IOException {
        byte[] pickle = Crafted.oneTensor("x.weight", "FloatStorage", "0", 1000, 0, new long[] {1000}, new long[] {1});
        Path f = Crafted.torchZip(dir.resolve("model.pth"), pickle, Map.of("0", Crafted.iota(10)));
        assertRefused(f, "storage '0'", "holds 40 bytes", "1000 x F32 = 4000 bytes");
    }

    @Test
    void absurdStorageSizeIsRefusedWithoutAllocating() throws IOException {
        byte[] pickle = Crafted.oneTensor("x", "DoubleStorage", "0", Long.MAX_VALUE / 2, 0, new long[] {1}, new long[] {1});
        assertRefused(Crafted.torchZip(dir.resolve("model.pth"), pickle, Map.of("0", new byte[8])), "storage '0'", "64 bits");

        byte[] big = Crafted.oneTensor("x", "FloatStorage", "0", 1L << 40, 0, new long[] {1}, new long[] {1});
        assertRefused(Crafted.torchZip(dir.resolve("big.pth"), big, Map.of("0", new byte[8])), "storage '0'", "holds 8 bytes");
    }

    @Test
    void missingStorageEntry() throws IOException {
        byte[] pickle = Crafted.oneTensor("x", "FloatStorage", "7", 4, 0, new long[] {4}, new long[] {1});
        assertRefused(Crafted.torchZip(dir.resolve("model.pth"), pickle, Map.of()), "storage '7'", "archive/data/7", "missing");
    }

    @Test
    void storageKeyThatIsAPathIsRefused() throws IOException {
        byte[] pickle = Crafted.oneTensor("x", "FloatStorage", "../0", 4, 0, new long[] {4}, new long[] {1});
        assertRefused(Crafted.torchZip(dir.resolve("model.pth"), pickle, Map.of("0", Crafted.iota(4))), "invalid key");
    }

    @Test
    void tensorViewPastTheEndOfItsStorage() throws IOException {
        byte[] pickle = Crafted.oneTensor("enc.weight", "FloatStorage", "0", 6, 2, new long[] {2, 3}, new long[] {3, 1});
        Path f = Crafted.torchZip(dir.resolve("model.pth"), pickle, Map.of("0", Crafted.iota(6)));
        assertRefused(f, "tensor 'enc.weight'", "offset 2", "runs past the end of its storage '0' (6 elements)");
    }

    @Test
    void stridedViewPastTheEndOfItsStorage() throws IOException {
        byte[] pickle = Crafted.oneTensor("t", "FloatStorage", "0", 6, 0, new long[] {3, 2}, new long[] {1, 4});
        assertRefused(Crafted.torchZip(dir.resolve("model.pth"), pickle, Map.of("0", Crafted.iota(6))), "tensor 't'", "past the end");
    }

    @Test
    void negativeOffsetsSizesAndStridesAreRefused() throws IOException {
        byte[] off = Crafted.oneTensor("a", "FloatStorage", "0", 6, -1, new long[] {2}, new long[] {1});
        assertRefused(Crafted.torchZip(dir.resolve("off.pth"), off, Map.of("0", Crafted.iota(6))), "tensor 'a'", "past the end");
        byte[] stride = Crafted.oneTensor("b", "FloatStorage", "0", 6, 5, new long[] {2}, new long[] {-1});
        assertRefused(Crafted.torchZip(dir.resolve("stride.pth"), stride, Map.of("0", Crafted.iota(6))), "tensor 'b'", "past the end");
        byte[] size = Crafted.oneTensor("c", "FloatStorage", "0", 6, 0, new long[] {-2, 3}, new long[] {3, 1});
        assertRefused(Crafted.torchZip(dir.resolve("size.pth"), size, Map.of("0", Crafted.iota(6))), "tensor 'c'", "invalid size");
    }

    @Test
    void sizeAndStrideOfDifferentRank() throws IOException {
        byte[] pickle = Crafted.oneTensor("w", "FloatStorage", "0", 6, 0, new long[] {2, 3}, new long[] {1});
        assertRefused(Crafted.torchZip(dir.resolve("model.pth"), pickle, Map.of("0", Crafted.iota(6))), "2 sizes but 1 strides");
    }

    @Test
    void sameKeyDeclaredWithTwoDtypes() throws IOException {
        PickleWriter p = new PickleWriter().proto2();
        p.global("collections", "OrderedDict").emptyTuple().reduce().mark();
        for (String[] t : new String[][] {{"a", "FloatStorage"}, {"b", "IntStorage"}}) {
            p.string(t[0]).global("torch._utils", "_rebuild_tensor_v2").mark();
            p.mark().string("storage").global("torch", t[1]).string("0").string("cpu").integer(4).tupleFromMark().binPersId();
            p.integer(0).intTuple(new long[] {4}).intTuple(new long[] {1}).newFalse().global("collections", "OrderedDict")
                    .emptyTuple().reduce().tupleFromMark().reduce();
        }
        byte[] pickle = p.setItems().stop().toByteArray();
        assertRefused(Crafted.torchZip(dir.resolve("model.pth"), pickle, Map.of("0", Crafted.iota(4))), "storage '0'", "both");
    }

    @Test
    void broadcastViewsOfOneElementAreRefusedBeforeTheyAreCopied() throws IOException {
        // four [16384, 16384] stride-0 views of a one-element storage: 4 GiB of copies from 4 bytes
        List<Crafted.View> views = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            views.add(new Crafted.View("w" + i, "FloatStorage", "0", 1, 0, new long[] {16384, 16384}, new long[] {0, 0}));
        }
        Path f = Crafted.torchZip(dir.resolve("model.pth"), Crafted.stateDict(views), Map.of("0", Crafted.floats(1)));
        assertRefused(f, "tensor 'w0' view (offset 0, size [16384, 16384], stride [0, 0]) must be copied, which repeats"
                + " storage elements (broadcast or overlapping strides)", "1073741824 bytes, more than the 4 bytes");
    }

    @Test
    void overlappingStridesArePricedLikeBroadcasts() throws IOException {
        // [20000, 20000] with strides (1, 1) walks a 39999-element storage 400 million times
        byte[] pickle = Crafted.oneTensor("o", "FloatStorage", "0", 39_999, 0, new long[] {20_000, 20_000}, new long[] {1, 1});
        Path f = Crafted.torchZip(dir.resolve("model.pth"), pickle, Map.of("0", new byte[39_999 * 4]));
        assertRefused(f, "tensor 'o'", "repeats storage elements");
    }

    @Test
    void smallBroadcastsAndTransposesAreStillCopied() throws IOException {
        // what torch.save writes for expand() and .t(): copies within the storages' size plus the margin
        List<Crafted.View> views = List.of(
                new Crafted.View("expanded", "FloatStorage", "0", 3, 0, new long[] {1000, 3}, new long[] {0, 1}),
                new Crafted.View("transposed", "FloatStorage", "1", 6, 0, new long[] {3, 2}, new long[] {1, 3}));
        StateDict sd = TorchCheckpoint.read(Crafted.torchZip(dir.resolve("model.pth"), Crafted.stateDict(views),
                Map.of("0", Crafted.iota(3), "1", Crafted.iota(6))));
        assertEquals(3000, sd.get("expanded").numel());
        assertEquals(2f, sd.get("expanded").toFloatArray()[2999]);
        assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, sd.get("transposed").toFloatArray());
    }

    @Test
    void zipEntryOfOneNameTwiceIsRefused() throws IOException {
        // torch.load reads the first archive/data/0 (the real weights), java.util.zip the last (zeros)
        byte[] pickle = Crafted.oneTensor("w", "FloatStorage", "0", 4, 0, new long[] {4}, new long[] {1});
        Path f = HostileZip.torch(pickle, Map.of("0", Crafted.iota(4))).stored("archive/data/0", new byte[16])
                .write(dir.resolve("model.pth"));
        assertRefused(f, "zip entry 'archive/data/0' appears more than once");
    }

    @Test
    void deflatedStoragesThatInflateAThousandfoldAreRefusedBeforeInflating() throws IOException {
        int mib = 256;
        long size = HostileZip.deflatedZerosSize(mib);
        byte[] pickle = Crafted.oneTensor("w", "FloatStorage", "0", size / 4, 0, new long[] {size / 4}, new long[] {1});
        Path f = new HostileZip().stored("archive/data.pkl", pickle).deflatedZeros("archive/data/0", mib)
                .write(dir.resolve("model.pth"));
        assertTrue(Files.size(f) < 1 << 20, Files.size(f) + " bytes");
        assertRefused(f, "storage '0' (zip entry archive/data/0) is compressed from " + size + " to",
                "more than 8:1", "zip bomb");
    }

    @Test
    void deflatedStoragesOfRealisticRatioAreRead() throws IOException {
        // a re-zipped checkpoint: java.util.zip deflates everything; iota floats shrink by far less than 8:1
        byte[] pickle = Crafted.oneTensor("w", "FloatStorage", "0", 1 << 20, 0, new long[] {1 << 20}, new long[] {1});
        StateDict sd = TorchCheckpoint.read(Crafted.torchZip(dir.resolve("model.pth"), pickle,
                Map.of("0", Crafted.iota(1 << 20))));
        assertEquals(1048575f, sd.get("w").toFloatArray()[(1 << 20) - 1]);
    }

    // --- malformed pickles -------------------------------------------------------------------------

    @Test
    void wrongArgumentTypesBecomeModelExceptions() throws IOException {
        PickleWriter p = new PickleWriter().proto2();
        p.global("torch._utils", "_rebuild_tensor_v2").mark();
        p.mark().string("storage").global("torch", "FloatStorage").string("0").string("cpu").integer(4).tupleFromMark().binPersId();
        p.string("zero").intTuple(new long[] {4}).intTuple(new long[] {1}).newFalse().tupleFromMark().reduce();
        byte[] pickle = p.stop().toByteArray();
        assertRefused(Crafted.torchZip(dir.resolve("model.pth"), pickle, Map.of("0", Crafted.iota(4))),
                "storage_offset is a str, expected an int");

        // _rebuild_tensor_v2('s', 0, (), (), False, {})
        byte[] np = new Crafted.Raw().proto(2).global("torch._utils", "_rebuild_tensor_v2")
                .op('(').unicode("s").op('K', 0, ')', ')', 0x89, '}', 't', 'R', '.').build();
        assertRefused(Crafted.torchZip(dir.resolve("np.pth"), np, Map.of()), "expects a storage first, got a str");
    }

    @Test
    void topLevelThatIsNotADict() throws IOException {
        byte[] pickle = new Crafted.Raw().proto(2).op(']', '.').build();
        assertRefused(Crafted.torchZip(dir.resolve("model.pth"), pickle, Map.of()), "holds a list, expected a state dict");
    }

    @Test
    void dictWithoutTensorsOrKnownKeys() throws IOException {
        byte[] pickle = new Crafted.Raw().proto(2).op('}').unicode("epoch").op('K', 3, 's', '.').build();
        assertRefused(Crafted.torchZip(dir.resolve("model.pth"), pickle, Map.of()), "no state dict found", "'epoch'");
    }

    @Test
    void invalidOpcodeAndStackUnderflow() throws IOException {
        assertRefused(Crafted.torchZip(dir.resolve("a.pth"), new Crafted.Raw().proto(2).op(0xff).build(), Map.of()),
                "corrupt pickle");
        assertRefused(Crafted.torchZip(dir.resolve("b.pth"), new Crafted.Raw().proto(2).op('R').build(), Map.of()),
                "corrupt pickle");
        assertRefused(Crafted.torchZip(dir.resolve("c.pth"), new Crafted.Raw().proto(2).op('}').build(), Map.of()),
                "corrupt pickle");
        assertRefused(Crafted.torchZip(dir.resolve("d.pth"), new Crafted.Raw().proto(2).op(']', 's', '.').build(), Map.of()),
                "corrupt pickle");
        assertRefused(Crafted.torchZip(dir.resolve("e.pth"), new Crafted.Raw().proto(2).op('h', 9).build(), Map.of()),
                "corrupt pickle", "memo");
    }

    @Test
    void hugeLengthPrefixIsRefusedWithoutAllocating() throws IOException {
        byte[] unicode = new Crafted.Raw().proto(2).op('X').int32(Integer.MAX_VALUE).ascii("abc").build();
        assertRefused(Crafted.torchZip(dir.resolve("a.pth"), unicode, Map.of()), "claims 2147483647 bytes but 3 remain");
        byte[] bytes8 = new Crafted.Raw().proto(4).op(0x8e).int32(0).int32(0x40000000).build();
        assertRefused(Crafted.torchZip(dir.resolve("b.pth"), bytes8, Map.of()), "claims 4611686018427387904 bytes");
        byte[] negative = new Crafted.Raw().proto(2).op('X').int32(-5).build();
        assertRefused(Crafted.torchZip(dir.resolve("c.pth"), negative, Map.of()), "claims -5 bytes");
        byte[] long4 = new Crafted.Raw().proto(2).op(0x8b).int32(100_000).bytes(new byte[100_000]).op('.').build();
        assertRefused(Crafted.torchZip(dir.resolve("d.pth"), long4, Map.of()), "at most 256");
    }

    @Test
    void unhashableAndSelfContainingKeysAreRefused() throws IOException {
        // l = []; l.append(l); {l: None}  -- hashing l would recurse forever
        byte[] pickle = new Crafted.Raw().proto(2).op('}', ']', 'q', 0, 'h', 0, 'a', 'N', 's', '.').build();
        assertRefused(Crafted.torchZip(dir.resolve("model.pth"), pickle, Map.of()), "dict key of type list is not allowed");
        byte[] set = new Crafted.Raw().proto(4).op(0x8f, '(', '}', 0x90, '.').build();
        assertRefused(Crafted.torchZip(dir.resolve("set.pth"), set, Map.of()), "set element of type dict");
    }

    @Test
    void deeplyNestedPickleNeitherHangsNorOverflows() throws IOException {
        // [[[[...]]]] nested 900k deep: a recursive unpickler or traversal would overflow the stack
        int depth = 900_000;
        byte[] pickle = new byte[2 + 2 * depth];
        pickle[0] = (byte) 0x80;
        pickle[1] = 2;
        Arrays.fill(pickle, 2, 2 + depth, (byte) ']');
        Arrays.fill(pickle, 2 + depth, 2 + 2 * depth - 1, (byte) 'a'); // APPEND each list into the one below
        pickle[pickle.length - 1] = '.';
        Path f = Crafted.torchZip(dir.resolve("model.pth"), pickle, Map.of());
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertRefused(f, "holds a list, expected a state dict"));
    }

    @Test
    void stackFloodIsCapped() throws IOException {
        byte[] pickle = new byte[3 + TorchUnpickler.MAX_STACK + 10];
        pickle[0] = (byte) 0x80;
        pickle[1] = 2;
        pickle[2] = 'N';
        Arrays.fill(pickle, 3, pickle.length, (byte) '2'); // DUP: one byte, one more stack slot
        Path f = Crafted.torchZip(dir.resolve("model.pth"), pickle, Map.of());
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertRefused(f, "stack grows past"));
    }

    @Test
    void memoFloodIsCapped() throws IOException {
        // N, then many (LONG_BINPUT i) with distinct i: each 5 bytes adds a memo entry
        int n = TorchUnpickler.MAX_MEMO + 10;
        Crafted.Raw raw = new Crafted.Raw().proto(2).op('N');
        byte[] body = new byte[n * 5];
        for (int i = 0; i < n; i++) {
            body[i * 5] = 'r';
            body[i * 5 + 1] = (byte) i;
            body[i * 5 + 2] = (byte) (i >>> 8);
            body[i * 5 + 3] = (byte) (i >>> 16);
            body[i * 5 + 4] = (byte) (i >>> 24);
        }
        Path f = Crafted.torchZip(dir.resolve("model.pth"), raw.bytes(body).build(), Map.of());
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> assertRefused(f, "memo grows past"));
    }

    @Test
    void allowListIsExactlyWhatAStateDictNeeds() {
        assertEquals(3 + DType.values().length, TorchUnpickler.allowedGlobalNames().size());
        assertTrue(TorchUnpickler.allowedGlobalNames().contains("torch.BFloat16Storage"));
        assertFalse(TorchUnpickler.allowedGlobalNames().contains("torch.device"));
    }

    private static void assertRefused(Path file, String... fragments) {
        ModelException e = assertThrows(ModelException.class, () -> TorchCheckpoint.read(file));
        String m = e.getMessage();
        assertTrue(m.contains(file.getFileName().toString()), "message should name the file: " + m);
        for (String f : fragments) {
            assertTrue(m.contains(f), "message should contain '" + f + "': " + m);
        }
    }
}
