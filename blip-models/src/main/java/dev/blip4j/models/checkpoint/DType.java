package dev.blip4j.models.checkpoint;

import java.util.Locale;

/** Element types found in checkpoints, with their names in safetensors headers and torch storages. */
public enum DType {
    F64(8, "F64", "DoubleStorage"),
    F32(4, "F32", "FloatStorage"),
    F16(2, "F16", "HalfStorage"),
    BF16(2, "BF16", "BFloat16Storage"),
    I64(8, "I64", "LongStorage"),
    I32(4, "I32", "IntStorage"),
    I16(2, "I16", "ShortStorage"),
    I8(1, "I8", "CharStorage"),
    U8(1, "U8", "ByteStorage"),
    BOOL(1, "BOOL", "BoolStorage");

    private final int byteSize;
    private final String safetensorsName;
    private final String torchStorageName;

    DType(int byteSize, String safetensorsName, String torchStorageName) {
        this.byteSize = byteSize;
        this.safetensorsName = safetensorsName;
        this.torchStorageName = torchStorageName;
    }

    public int byteSize() {
        return byteSize;
    }

    public String safetensorsName() {
        return safetensorsName;
    }

    /** Class name of the legacy typed storage, e.g. {@code FloatStorage} for {@code torch.FloatStorage}. */
    public String torchStorageName() {
        return torchStorageName;
    }

    public boolean isFloatingPoint() {
        return this == F64 || this == F32 || this == F16 || this == BF16;
    }

    /** The dtype for a safetensors header name, or {@code null} when the name is unknown. */
    public static DType fromSafetensors(String name) {
        for (DType t : values()) {
            if (t.safetensorsName.equals(name.toUpperCase(Locale.ROOT))) {
                return t;
            }
        }
        return null;
    }

    /** The dtype for a torch storage class name ({@code FloatStorage}), or {@code null} when unknown. */
    public static DType fromTorchStorage(String className) {
        for (DType t : values()) {
            if (t.torchStorageName.equals(className)) {
                return t;
            }
        }
        return null;
    }
}
