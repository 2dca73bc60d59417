package dev.blip4j.serve;

import dev.blip4j.core.InputException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;

/**
 * The keys a client may send as {@code Authorization: Bearer <key>}. Keys are compared by their
 * SHA-256 digests with {@link MessageDigest#isEqual}, every key every time, so that neither the
 * position of the first wrong byte nor the key's length shows in the time an answer takes.
 */
final class ApiKeys {

    private final List<byte[]> digests;

    private ApiKeys(List<byte[]> digests) {
        this.digests = digests;
    }

    /** One key per line; blank lines and lines starting with {@code #} are skipped. */
    static ApiKeys read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new InputException("cannot read the API key file " + file + ": " + e.getMessage(), e);
        }
        List<byte[]> digests = new ArrayList<>();
        for (String line : lines) {
            String key = line.strip();
            if (!key.isEmpty() && !key.startsWith("#")) {
                digests.add(sha256(key));
            }
        }
        if (digests.isEmpty()) {
            throw new InputException("the API key file " + file + " holds no key (one per line)");
        }
        return new ApiKeys(List.copyOf(digests));
    }

    /** Whether an {@code Authorization} header value carries one of the keys. */
    boolean accepts(String authorization) {
        String prefix = "Bearer ";
        if (authorization == null || !authorization.regionMatches(true, 0, prefix, 0, prefix.length())) {
            return false;
        }
        byte[] given = sha256(authorization.substring(prefix.length()).strip());
        boolean match = false;
        for (byte[] key : digests) {
            match |= MessageDigest.isEqual(given, key);
        }
        return match;
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
