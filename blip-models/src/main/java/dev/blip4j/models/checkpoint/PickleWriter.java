package dev.blip4j.models.checkpoint;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * Emits the few protocol-2 pickle opcodes a torch state dict needs, byte for byte as CPython would.
 * Pyrolite's {@code Pickler} cannot emit persistent ids or Python globals of our choosing, and the
 * opcodes needed are so few that writing them directly is simpler than bending it.
 */
final class PickleWriter {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final Map<String, Integer> globals = new HashMap<>();
    private int nextMemo;

    PickleWriter proto2() {
        out.write(0x80);
        out.write(2);
        return this;
    }

    PickleWriter emptyDict() {
        out.write('}');
        return this;
    }

    PickleWriter emptyTuple() {
        out.write(')');
        return this;
    }

    PickleWriter mark() {
        out.write('(');
        return this;
    }

    /** TUPLE: everything since the last MARK. */
    PickleWriter tupleFromMark() {
        out.write('t');
        return this;
    }

    PickleWriter setItem() {
        out.write('s');
        return this;
    }

    PickleWriter setItems() {
        out.write('u');
        return this;
    }

    PickleWriter reduce() {
        out.write('R');
        return this;
    }

    PickleWriter binPersId() {
        out.write('Q');
        return this;
    }

    PickleWriter newFalse() {
        out.write(0x89);
        return this;
    }

    PickleWriter stop() {
        out.write('.');
        return this;
    }

    /** BINUNICODE: a str, UTF-8 with a 4-byte length. */
    PickleWriter string(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.write('X');
        int32(b.length);
        out.write(b, 0, b.length);
        return this;
    }

    /** The smallest int opcode CPython would pick: BININT1, BININT2, BININT or LONG1. */
    PickleWriter integer(long v) {
        if (v >= 0 && v < 0x100) {
            out.write('K');
            out.write((int) v);
        } else if (v >= 0 && v < 0x10000) {
            out.write('M');
            out.write((int) v & 0xff);
            out.write((int) (v >>> 8) & 0xff);
        } else if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
            out.write('J');
            int32((int) v);
        } else {
            // LONG1: minimal little-endian two's complement
            byte[] le = new byte[8];
            for (int i = 0; i < 8; i++) {
                le[i] = (byte) (v >>> (8 * i));
            }
            int n = 8;
            while (n > 1 && ((le[n - 1] == 0 && le[n - 2] >= 0) || (le[n - 1] == -1 && le[n - 2] < 0))) {
                n--;
            }
            out.write(0x8a);
            out.write(n);
            out.write(le, 0, n);
        }
        return this;
    }

    /** A tuple of ints, with the short forms CPython uses for up to three items. */
    PickleWriter intTuple(long[] values) {
        switch (values.length) {
            case 0 -> out.write(')');
            case 1, 2, 3 -> {
                for (long v : values) {
                    integer(v);
                }
                out.write(0x84 + values.length); // TUPLE1 0x85, TUPLE2 0x86, TUPLE3 0x87
            }
            default -> {
                mark();
                for (long v : values) {
                    integer(v);
                }
                tupleFromMark();
            }
        }
        return this;
    }

    /** GLOBAL the first time (memoized), BINGET/LONG_BINGET afterwards. */
    PickleWriter global(String module, String name) {
        String key = module + "\n" + name + "\n";
        Integer memo = globals.get(key);
        if (memo != null) {
            if (memo < 0x100) {
                out.write('h');
                out.write(memo);
            } else {
                out.write('j');
                int32(memo);
            }
            return this;
        }
        out.write('c');
        byte[] b = key.getBytes(StandardCharsets.UTF_8);
        out.write(b, 0, b.length);
        int slot = nextMemo++;
        if (slot < 0x100) {
            out.write('q');
            out.write(slot);
        } else {
            out.write('r');
            int32(slot);
        }
        globals.put(key, slot);
        return this;
    }

    byte[] toByteArray() {
        return out.toByteArray();
    }

    private void int32(int v) {
        out.write(v & 0xff);
        out.write((v >>> 8) & 0xff);
        out.write((v >>> 16) & 0xff);
        out.write((v >>> 24) & 0xff);
    }
}
