package dev.blip4j.models.checkpoint;

import dev.blip4j.core.ModelException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.razorvine.pickle.Opcodes;
import net.razorvine.pickle.PickleException;
import net.razorvine.pickle.PickleUtils;
import net.razorvine.pickle.Unpickler;

/**
 * Pyrolite's unpickler, restricted to what a PyTorch state dict needs.
 *
 * <p>A checkpoint's {@code data.pkl} is untrusted input. Pyrolite resolves globals through a static,
 * JVM-wide registry and turns unknown ones into inert {@code ClassDict}s instead of failing, so it
 * can neither refuse a hostile pickle nor be configured per load without racing other threads.
 * This subclass therefore takes over every opcode that names or calls a global (GLOBAL,
 * STACK_GLOBAL, INST, OBJ, REDUCE, NEWOBJ, NEWOBJ_EX, BUILD): each global is checked against a fixed
 * allow-list when it is named, before anything could call it, and only this instance's own handlers
 * are ever called; Pyrolite's registry is never consulted. It also keeps dicts ordered (Pyrolite's
 * SETITEMS and DICT go through a {@code HashMap}, losing the state dict's order), refuses unhashable
 * dict keys (a self-containing list as a key would recurse forever in {@code hashCode}), checks every
 * length prefix against the bytes really left before Pyrolite allocates for it, and caps the number
 * of opcodes, the stack and the memo so a small hostile pickle cannot exhaust memory.
 */
final class TorchUnpickler extends Unpickler {

    /*
     * A state dict costs about 30 opcodes and 10 memo entries per tensor, and CPython's pickler keeps
     * the stack short by batching 1000 items per SETITEMS; these caps leave room for ~200k tensors
     * while bounding what a small hostile pickle can make us allocate to some hundreds of MB.
     */
    static final int MAX_OPCODES = 10_000_000;
    static final int MAX_STACK = 1_000_000;
    static final int MAX_MEMO = 2_000_000;
    /** Python ints in a state dict are sizes and offsets; a huge LONG is an attack on BigInteger. */
    private static final int MAX_LONG_BYTES = 256;
    private static final int MAX_LINE = 4096;

    private static final String ALLOWED_WHAT =
            "only torch tensor rebuild functions, storages and OrderedDict are allowed";

    /** The callables a state dict needs. */
    private enum Callable {
        REBUILD_TENSOR_V2("torch._utils._rebuild_tensor_v2"),
        REBUILD_PARAMETER("torch._utils._rebuild_parameter"),
        ORDERED_DICT("collections.OrderedDict");

        final String pythonName;

        Callable(String pythonName) {
            this.pythonName = pythonName;
        }
    }

    /** A storage class such as {@code torch.FloatStorage}: only ever used as a dtype tag. */
    private record StorageType(DType dtype) {}

    /** Immutable, so sharing it between concurrent loads is safe. */
    private static final Map<String, Object> ALLOWED_GLOBALS = allowedGlobals();

    private static Map<String, Object> allowedGlobals() {
        Map<String, Object> m = new LinkedHashMap<>();
        for (Callable c : Callable.values()) {
            m.put(c.pythonName, c);
        }
        for (DType t : DType.values()) {
            m.put("torch." + t.torchStorageName(), new StorageType(t));
        }
        return Map.copyOf(m);
    }

    /** Looks up the storages that persistent ids name. */
    interface StorageResolver {
        /** Checks that the storage exists and holds {@code numel} elements of {@code dtype}. */
        TorchStorage resolve(String key, DType dtype, long numel);
    }

    private final String where;
    private final StorageResolver storages;
    private final Map<String, TorchStorage> storagesByKey = new LinkedHashMap<>();
    private long opcodes;

    TorchUnpickler(String where, StorageResolver storages) {
        this.where = where;
        this.storages = storages;
    }

    /** Unpickles {@code pickle}; any malformation becomes a {@link ModelException} naming {@code where}. */
    Object unpickle(byte[] pickle) {
        try {
            return load(new ByteArrayInputStream(pickle));
        } catch (ModelException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new ModelException(where + ": corrupt pickle: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()), e);
        } finally {
            close();
        }
    }

    @Override
    protected Object dispatch(short op) throws PickleException, IOException {
        if (++opcodes > MAX_OPCODES) {
            throw fail("pickle runs past " + MAX_OPCODES + " opcodes; refusing it as hostile");
        }
        Object result = NO_RETURN_VALUE;
        switch (op) {
            case Opcodes.GLOBAL -> {
                String module = readLine();
                String name = readLine();
                stack.add(resolveGlobal(module, name));
            }
            case Opcodes.STACK_GLOBAL -> {
                Object name = stack.pop();
                Object module = stack.pop();
                if (!(module instanceof String m) || !(name instanceof String n)) {
                    throw fail("STACK_GLOBAL expects two strings, got " + typeName(module) + " and " + typeName(name));
                }
                stack.add(resolveGlobal(m, n));
            }
            case Opcodes.INST -> {
                Object callable = resolveGlobal(readLine(), readLine());
                List<Object> args = stack.pop_all_since_marker();
                stack.add(call(callable, args.toArray()));
            }
            case Opcodes.OBJ -> {
                List<Object> items = stack.pop_all_since_marker();
                if (items.isEmpty()) {
                    throw fail("OBJ without a class");
                }
                stack.add(call(items.get(0), items.subList(1, items.size()).toArray()));
            }
            case Opcodes.REDUCE, Opcodes.NEWOBJ -> {
                Object args = stack.pop();
                Object callable = stack.pop();
                stack.add(call(callable, tuple(args, "arguments")));
            }
            case Opcodes.NEWOBJ_EX -> {
                Object kwargs = stack.pop();
                Object args = stack.pop();
                Object callable = stack.pop();
                if (!(kwargs instanceof Map<?, ?> kw) || !kw.isEmpty()) {
                    throw fail("NEWOBJ_EX with keyword arguments is not supported");
                }
                stack.add(call(callable, tuple(args, "arguments")));
            }
            case Opcodes.BUILD -> {
                Object state = stack.pop();
                build(stack.peek(), state);
            }
            case Opcodes.EMPTY_DICT -> stack.add(new LinkedHashMap<>());
            case Opcodes.DICT -> {
                List<Object> items = stack.pop_all_since_marker();
                Map<Object, Object> dict = new LinkedHashMap<>();
                putPairs(dict, items);
                stack.add(dict);
            }
            case Opcodes.SETITEM -> {
                Object value = stack.pop();
                Object key = stack.pop();
                dictOnTop().put(hashable(key, "dict key"), value);
            }
            case Opcodes.SETITEMS -> {
                List<Object> items = stack.pop_all_since_marker();
                putPairs(dictOnTop(), items);
            }
            case Opcodes.EMPTY_SET -> stack.add(new HashSet<>());
            case Opcodes.ADDITEMS -> {
                List<Object> items = stack.pop_all_since_marker();
                Object set = stack.peek();
                if (!(set instanceof Set<?>)) {
                    throw fail("ADDITEMS on a " + typeName(set) + ", expected a set");
                }
                @SuppressWarnings("unchecked")
                Set<Object> s = (Set<Object>) set;
                for (Object o : items) {
                    s.add(hashable(o, "set element"));
                }
            }
            case Opcodes.FROZENSET -> {
                Set<Object> s = new HashSet<>();
                for (Object o : stack.pop_all_since_marker()) {
                    s.add(hashable(o, "set element"));
                }
                stack.add(s);
            }
            case Opcodes.BINSTRING, Opcodes.BINBYTES, Opcodes.BINUNICODE -> {
                checkLength(op, 4, Long.MAX_VALUE);
                result = super.dispatch(op);
            }
            case Opcodes.BINUNICODE8, Opcodes.BINBYTES8, Opcodes.BYTEARRAY8 -> {
                checkLength(op, 8, Long.MAX_VALUE);
                result = super.dispatch(op);
            }
            case Opcodes.LONG4 -> {
                checkLength(op, 4, MAX_LONG_BYTES);
                result = super.dispatch(op);
            }
            case Opcodes.LONG -> {
                String digits = readLine();
                if (digits.length() > MAX_LONG_BYTES) {
                    throw fail("LONG literal of " + digits.length() + " digits; refusing it as hostile");
                }
                String d = digits.endsWith("L") ? digits.substring(0, digits.length() - 1) : digits;
                stack.add(PickleUtils.optimizeBigint(new BigInteger(d)));
            }
            default -> result = super.dispatch(op);
        }
        if (stack.size() > MAX_STACK) {
            throw fail("pickle stack grows past " + MAX_STACK + " entries; refusing it as hostile");
        }
        if (memo.size() > MAX_MEMO) {
            throw fail("pickle memo grows past " + MAX_MEMO + " entries; refusing it as hostile");
        }
        return result;
    }

    /**
     * A persistent id names a storage: {@code ('storage', <storage class>, key, location, numel)}.
     * The same key always yields the same {@link TorchStorage}, which is how tied weights are seen.
     */
    @Override
    protected Object persistentLoad(Object pid) {
        if (!(pid instanceof Object[] t) || t.length != 5 || !"storage".equals(t[0])) {
            throw fail("persistent id is not ('storage', type, key, location, numel): " + typeName(pid)
                    + (pid instanceof Object[] a ? " of " + a.length : ""));
        }
        if (!(t[1] instanceof StorageType type)) {
            throw fail("persistent id names storage class " + typeName(t[1]) + ", expected e.g. torch.FloatStorage");
        }
        if (!(t[2] instanceof String key)) {
            throw fail("persistent id has a storage key of type " + typeName(t[2]) + ", expected str");
        }
        long numel = toLong(t[4], "storage '" + key + "' numel");
        if (numel < 0) {
            throw fail("storage '" + key + "' has negative numel " + numel);
        }
        TorchStorage known = storagesByKey.get(key);
        if (known != null) {
            if (known.dtype() != type.dtype() || known.numel() != numel) {
                throw fail("storage '" + key + "' is declared both as " + known.numel() + " x " + known.dtype()
                        + " and as " + numel + " x " + type.dtype());
            }
            return known;
        }
        TorchStorage s = storages.resolve(key, type.dtype(), numel);
        storagesByKey.put(key, s);
        return s;
    }

    // ---------------------------------------------------------------------------------------------

    private Object resolveGlobal(String module, String name) {
        Object g = ALLOWED_GLOBALS.get(module + "." + name);
        if (g == null) {
            throw fail("refuses pickle global '" + printable(module + "." + name) + "' (" + ALLOWED_WHAT + ")");
        }
        return g;
    }

    private Object call(Object callable, Object[] args) {
        if (!(callable instanceof Callable c)) {
            String what = callable instanceof StorageType st ? "torch." + st.dtype().torchStorageName() : typeName(callable);
            throw fail("pickle tries to call " + what
                    + " (only _rebuild_tensor_v2, _rebuild_parameter and OrderedDict may be called)");
        }
        return switch (c) {
            case REBUILD_TENSOR_V2 -> rebuildTensor(args);
            case REBUILD_PARAMETER -> {
                if (args.length < 1 || !(args[0] instanceof TorchTensorView v)) {
                    throw fail("_rebuild_parameter expects (tensor, requires_grad, backward_hooks), got "
                            + args.length + " arguments" + (args.length > 0 ? " starting with a " + typeName(args[0]) : ""));
                }
                yield v; // an nn.Parameter is just its data here
            }
            case ORDERED_DICT -> {
                PickledOrderedDict d = new PickledOrderedDict();
                if (args.length == 1) {
                    for (Object pair : iterable(args[0], "OrderedDict argument")) {
                        Object[] kv = pair instanceof List<?> l ? l.toArray() : tuple(pair, "OrderedDict item");
                        if (kv.length != 2) {
                            throw fail("OrderedDict item of length " + kv.length + ", expected (key, value)");
                        }
                        d.put(hashable(kv[0], "dict key"), kv[1]);
                    }
                } else if (args.length > 1) {
                    throw fail("OrderedDict called with " + args.length + " arguments");
                }
                yield d;
            }
        };
    }

    /** {@code _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])}. */
    private TorchTensorView rebuildTensor(Object[] args) {
        if (args.length < 4 || args.length > 7) {
            throw fail("_rebuild_tensor_v2 called with " + args.length
                    + " arguments, expected (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])");
        }
        if (!(args[0] instanceof TorchStorage storage)) {
            throw fail("_rebuild_tensor_v2 expects a storage first, got a " + typeName(args[0]));
        }
        long offset = toLong(args[1], "storage_offset");
        long[] shape = longs(args[2], "size");
        long[] stride = longs(args[3], "stride");
        if (shape.length != stride.length) {
            throw fail("tensor on storage '" + storage.key() + "' has " + shape.length + " sizes but "
                    + stride.length + " strides");
        }
        return new TorchTensorView(storage, offset, shape, stride);
    }

    private void build(Object target, Object state) {
        if (!(target instanceof PickledOrderedDict d)) {
            throw fail("BUILD (setting object state) on a " + typeName(target) + " is not allowed");
        }
        Object[] parts = state instanceof Object[] t && t.length == 2 ? t : new Object[] {state, null};
        for (Object part : parts) {
            if (part == null) {
                continue;
            }
            if (!(part instanceof Map<?, ?> m)) {
                throw fail("OrderedDict state is a " + typeName(part) + ", expected a dict");
            }
            d.attributes().putAll(m);
        }
    }

    private void putPairs(Map<Object, Object> dict, List<Object> items) {
        if (items.size() % 2 != 0) {
            throw fail("odd number of items (" + items.size() + ") for a dict");
        }
        for (int i = 0; i < items.size(); i += 2) {
            dict.put(hashable(items.get(i), "dict key"), items.get(i + 1));
        }
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dictOnTop() {
        Object top = stack.peek();
        if (!(top instanceof Map<?, ?>)) {
            throw fail("SETITEM on a " + typeName(top) + ", expected a dict");
        }
        return (Map<Object, Object>) top;
    }

    /** Keys whose {@code hashCode} is cheap and cannot recurse (Python would refuse lists and dicts too). */
    private Object hashable(Object o, String what) {
        if (o == null || o instanceof String || o instanceof Number || o instanceof Boolean
                || o instanceof Object[] || o instanceof TorchTensorView || o instanceof TorchStorage) {
            return o;
        }
        throw fail(what + " of type " + typeName(o) + " is not allowed");
    }

    /** Checks a length prefix against the bytes left, then rewinds so Pyrolite reads it itself. */
    private void checkLength(short op, int width, long max) throws IOException {
        InputStream in = input;
        in.mark(width);
        byte[] raw = PickleUtils.readbytes(in, width);
        in.reset();
        long len = width == 4 ? PickleUtils.bytes_to_integer(raw) : PickleUtils.bytes_to_long(raw, 0);
        long left = in.available() - (long) width;
        if (len < 0 || len > left || len > max) {
            throw fail("opcode 0x" + Integer.toHexString(op) + " claims " + len + " bytes but "
                    + (len > max && len <= left ? "at most " + max + " are allowed" : left + " remain"));
        }
    }

    private String readLine() throws IOException {
        StringBuilder sb = new StringBuilder();
        while (true) {
            int c = input.read();
            if (c < 0) {
                throw new IOException("pickle ends inside a text argument");
            }
            if (c == '\n') {
                return sb.toString();
            }
            if (sb.length() >= MAX_LINE) {
                throw fail("text argument longer than " + MAX_LINE + " bytes");
            }
            sb.append((char) c);
        }
    }

    private Object[] tuple(Object o, String what) {
        if (o instanceof Object[] t) {
            return t;
        }
        throw fail(what + " is a " + typeName(o) + ", expected a tuple");
    }

    private List<?> iterable(Object o, String what) {
        if (o instanceof Object[] t) {
            return List.of(t);
        }
        if (o instanceof List<?> l) {
            return l;
        }
        throw fail(what + " is a " + typeName(o) + ", expected a list or tuple");
    }

    private long[] longs(Object o, String what) {
        Object[] t = tuple(o, what);
        long[] out = new long[t.length];
        for (int i = 0; i < t.length; i++) {
            out[i] = toLong(t[i], what);
        }
        return out;
    }

    private long toLong(Object o, String what) {
        if (o instanceof Integer || o instanceof Long || o instanceof Short || o instanceof Byte) {
            return ((Number) o).longValue();
        }
        if (o instanceof BigInteger b) {
            if (b.bitLength() < 64) {
                return b.longValue();
            }
            throw fail(what + " " + b + " does not fit in 64 bits");
        }
        throw fail(what + " is a " + typeName(o) + ", expected an int");
    }

    /** The Python-ish name of what Pyrolite built, for messages (never the value: it may be huge). */
    static String typeName(Object o) {
        if (o == null) {
            return "None";
        } else if (o instanceof String) {
            return "str";
        } else if (o instanceof Boolean) {
            return "bool";
        } else if (o instanceof Integer || o instanceof Long || o instanceof BigInteger) {
            return "int";
        } else if (o instanceof Double) {
            return "float";
        } else if (o instanceof byte[]) {
            return "bytes";
        } else if (o instanceof Object[]) {
            return "tuple";
        } else if (o instanceof PickledOrderedDict) {
            return "OrderedDict";
        } else if (o instanceof Map) {
            return "dict";
        } else if (o instanceof List) {
            return "list";
        } else if (o instanceof Set) {
            return "set";
        } else if (o instanceof TorchTensorView) {
            return "tensor";
        } else if (o instanceof TorchStorage) {
            return "storage";
        } else if (o instanceof StorageType st) {
            return "torch." + st.dtype().torchStorageName();
        } else if (o instanceof Callable c) {
            return c.pythonName;
        }
        return o.getClass().getSimpleName();
    }

    private static String printable(String s) {
        String cut = s.length() > 200 ? s.substring(0, 200) + "..." : s;
        StringBuilder sb = new StringBuilder();
        for (char c : cut.toCharArray()) {
            sb.append(c < 0x20 || c == 0x7f ? '?' : c);
        }
        return sb.toString();
    }

    private ModelException fail(String problem) {
        return new ModelException(where + ": " + problem);
    }

    /** The global names this loader accepts (for tests and documentation). */
    static Set<String> allowedGlobalNames() {
        return ALLOWED_GLOBALS.keySet();
    }
}
