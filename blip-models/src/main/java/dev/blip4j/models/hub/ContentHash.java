package dev.blip4j.models.hub;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Checks downloaded bytes against the hub's ETag. The hub's ETag of an LFS file is the sha256 of
 * its content (64 hex digits); a file kept in git directly has the git blob id instead, the sha1
 * of {@code "blob <size>\0"} followed by the content (40 hex digits). Other ETags cannot be checked
 * and only the size is compared.
 */
final class ContentHash {

    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern SHA1 = Pattern.compile("[0-9a-f]{40}");

    private ContentHash() {}

    /** The algorithm an ETag names, or null when it is neither form. */
    static String algorithm(String etag) {
        String e = etag.toLowerCase(Locale.ROOT);
        return SHA256.matcher(e).matches() ? "sha256" : SHA1.matcher(e).matches() ? "git-sha1" : null;
    }

    /** The hash of {@code file} in the form {@code etag} uses, or null when the ETag is neither form. */
    static String of(Path file, String etag) throws IOException {
        String algorithm = algorithm(etag);
        if (algorithm == null) {
            return null;
        }
        MessageDigest digest = digest(algorithm.equals("sha256") ? "SHA-256" : "SHA-1");
        if (algorithm.equals("git-sha1")) {
            digest.update(("blob " + Files.size(file) + "\0").getBytes(StandardCharsets.US_ASCII));
        }
        byte[] buffer = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static MessageDigest digest(String name) {
        try {
            return MessageDigest.getInstance(name);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(name + " is missing from this JVM", e);
        }
    }
}
