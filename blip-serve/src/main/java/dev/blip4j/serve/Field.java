package dev.blip4j.serve;

/**
 * One field a request may carry: its name (the CLI's option name with underscores, as in the
 * CLI's JSON), its type, and what it means (the OpenAPI document says the same; a test holds them
 * together).
 */
record Field(String name, Type type, String description) {

    enum Type {
        STRING, INTEGER, NUMBER, BOOLEAN,
        /** An array of strings (repeated parts or query parameters in a form). */
        STRINGS,
        /** An image: base64 (optionally a data URL) or an http(s) URL in JSON, a file part in a form, the body itself. */
        IMAGE,
        /** An array of images as {@link #IMAGE}. */
        IMAGES
    }

    static Field string(String name, String description) {
        return new Field(name, Type.STRING, description);
    }

    static Field integer(String name, String description) {
        return new Field(name, Type.INTEGER, description);
    }

    static Field number(String name, String description) {
        return new Field(name, Type.NUMBER, description);
    }

    static Field bool(String name, String description) {
        return new Field(name, Type.BOOLEAN, description);
    }

    static Field strings(String name, String description) {
        return new Field(name, Type.STRINGS, description);
    }

    static Field image(String name, String description) {
        return new Field(name, Type.IMAGE, description);
    }

    static Field images(String name, String description) {
        return new Field(name, Type.IMAGES, description);
    }
}
