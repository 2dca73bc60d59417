package dev.blip4j.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.JniUtils;
import dev.blip4j.core.BlipEngine;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * A function compiled by libtorch from TorchScript source that blip4j writes itself, for what DJL's
 * operators do not reach: oneDNN's matrix product, quantized kernels, an addition that writes into
 * an existing array. The archive (the source, a pickle of one empty module, a version) is built in
 * memory and loaded through DJL's PyTorch engine: no Python, no file, no weights inside; tensors are
 * passed in at every call.
 *
 * <p>Safe to call from several threads (the module holds no state).
 */
public final class TorchScript implements AutoCloseable {

    /** TorchScript format version of the archive (0x1 to 0xA are read by libtorch 2.x). */
    private static final String FORMAT_VERSION = "8\n";

    private final PtSymbolBlock module;
    private final String name;

    private TorchScript(PtSymbolBlock module, String name) {
        this.module = module;
        this.name = name;
    }

    /**
     * Compiles {@code def forward(self, <parameters>) -> <returns>:} with {@code body}.
     *
     * @param name the module's class name (letters and digits), shown in errors
     * @param parameters typed parameters, e.g. {@code "x: Tensor, w: Tensor, iters: int"}
     * @param returns the result type, e.g. {@code "Tensor"} or {@code "Tuple[Tensor, Tensor]"}
     * @param body the statements, one per line, without indentation (nested blocks indent by two)
     * @param manager owner of the compiled module (it is closed with it)
     */
    public static TorchScript compile(String name, String parameters, String returns, String body,
            NDManager manager) {
        if (!name.matches("[A-Za-z][A-Za-z0-9]*")) {
            throw new IllegalArgumentException("module name must be letters and digits, got '" + name + "'");
        }
        StringBuilder source = new StringBuilder()
                .append("class ").append(name).append("(Module):\n")
                .append("  __parameters__ = []\n")
                .append("  __buffers__ = []\n")
                .append("  training : bool\n")
                .append("  def forward(self: __torch__.").append(name).append(",\n")
                .append("    ").append(parameters).append(") -> ").append(returns).append(":\n");
        for (String line : body.strip().split("\n")) {
            source.append("    ").append(line.stripTrailing()).append('\n');
        }
        BlipEngine.engine();
        byte[] archive = archive(name, source.toString());
        try {
            PtSymbolBlock module = JniUtils.loadModule((PtNDManager) manager, new ByteArrayInputStream(archive),
                    false, false);
            return new TorchScript(module, name);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            throw new IllegalStateException("libtorch could not compile TorchScript " + name + ": " + e.getMessage()
                    + "\n" + source, e);
        }
    }

    /**
     * Runs the function. Arguments may be NDArrays (of the PyTorch engine), longs, ints, doubles,
     * floats, booleans, lists of NDArrays, or {@link IValue}s (kept open: the caller owns them).
     *
     * @return the result, which the caller closes
     */
    public IValue call(Object... args) {
        List<IValue> owned = new ArrayList<>(args.length);
        IValue[] values = new IValue[args.length];
        try {
            for (int i = 0; i < args.length; i++) {
                if (args[i] instanceof IValue v) {
                    values[i] = v;
                } else {
                    values[i] = toIValue(args[i]);
                    owned.add(values[i]);
                }
            }
            return module.forward(values);
        } finally {
            owned.forEach(IValue::close);
        }
    }

    /** Runs a function that returns one tensor, owned by {@code manager}. */
    public NDArray apply(NDManager manager, Object... args) {
        try (IValue out = call(args)) {
            return out.toTensor((PtNDManager) manager);
        }
    }

    private IValue toIValue(Object arg) {
        if (arg instanceof NDArray a) {
            return IValue.from((PtNDArray) a);
        }
        if (arg instanceof Integer || arg instanceof Long) {
            return IValue.from(((Number) arg).longValue());
        }
        if (arg instanceof Float || arg instanceof Double) {
            return IValue.from(((Number) arg).doubleValue());
        }
        if (arg instanceof Boolean b) {
            return IValue.from(b);
        }
        if (arg instanceof List<?> list) {
            return IValue.listFrom(list.stream().map(a -> (PtNDArray) a).toArray(PtNDArray[]::new));
        }
        throw new IllegalArgumentException(name + ": cannot pass a " + arg.getClass().getSimpleName());
    }

    @Override
    public void close() {
        module.close();
    }

    /** A TorchScript zip: the code, one module object with {@code training = False}, no constants. */
    static byte[] archive(String name, String source) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            String root = "blip4j/";
            stored(zip, root + "data.pkl", modulePickle(name));
            stored(zip, root + "code/__torch__.py", source.getBytes(StandardCharsets.UTF_8));
            stored(zip, root + "constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'});
            stored(zip, root + "version", FORMAT_VERSION.getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /**
     * Pickle protocol 2 of an object of class {@code __torch__.<name>} whose state is
     * {@code {"training": False}}, as torch.jit writes a module: GLOBAL, EMPTY_TUPLE, NEWOBJ, then
     * the attributes as a dict, BUILD.
     */
    private static byte[] modulePickle(String name) {
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        p.write(0x80);
        p.write(2);
        p.writeBytes(("c__torch__\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
        p.write(')');
        p.write(0x81);
        p.write('}');
        p.write('(');
        byte[] key = "training".getBytes(StandardCharsets.US_ASCII);
        p.write('X');
        p.write(key.length);
        p.write(0);
        p.write(0);
        p.write(0);
        p.writeBytes(key);
        p.write(0x89);
        p.write('u');
        p.write('b');
        p.write('.');
        return p.toByteArray();
    }

    private static void stored(ZipOutputStream zip, String entry, byte[] data) throws IOException {
        ZipEntry e = new ZipEntry(entry);
        e.setMethod(ZipEntry.STORED);
        e.setSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        e.setCrc(crc.getValue());
        zip.putNextEntry(e);
        zip.write(data);
        zip.closeEntry();
    }
}
