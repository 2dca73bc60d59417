package dev.blip4j.models.hub;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Where models come from and go: the hub endpoint, the local cache, offline mode and the access
 * token, read from the same environment variables as Python's {@code huggingface_hub}
 * ({@code constants.py}) so that both share one cache. Built from a map so that tests (and
 * programs with their own configuration) do not depend on the process environment.
 *
 * @param endpoint hub base URL without a trailing slash ({@code HF_ENDPOINT}, default https://huggingface.co)
 * @param cacheDir the hub cache ({@code HF_HUB_CACHE}, else {@code HUGGINGFACE_HUB_CACHE}, else
 *     {@code $HF_HOME/hub}, else {@code $XDG_CACHE_HOME/huggingface/hub}, else {@code ~/.cache/huggingface/hub})
 * @param offline never touch the network ({@code HF_HUB_OFFLINE} or {@code TRANSFORMERS_OFFLINE} true)
 * @param token sent as {@code Authorization: Bearer} to the endpoint, or null ({@code HF_TOKEN}, else
 *     {@code HUGGING_FACE_HUB_TOKEN}, else the file {@code $HF_TOKEN_PATH} or {@code $HF_HOME/token})
 * @param progressBars draw download progress on stderr (off when {@code HF_HUB_DISABLE_PROGRESS_BARS} is true)
 */
public record HubSettings(String endpoint, Path cacheDir, boolean offline, String token, boolean progressBars) {

    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";

    /** What huggingface_hub's {@code _is_true} accepts, compared upper-cased. */
    private static final Set<String> TRUE_VALUES = Set.of("1", "ON", "YES", "TRUE");

    public HubSettings {
        if (endpoint == null || endpoint.isBlank()) {
            throw new IllegalArgumentException("the hub endpoint must not be empty");
        }
        while (endpoint.endsWith("/")) {
            endpoint = endpoint.substring(0, endpoint.length() - 1);
        }
        if (cacheDir == null) {
            throw new IllegalArgumentException("the hub cache directory must be given");
        }
        if (token != null && token.isBlank()) {
            token = null;
        }
    }

    /** The settings of this process: its environment variables and home directory. */
    public static HubSettings fromEnvironment() {
        return from(System.getenv(), Path.of(System.getProperty("user.home")));
    }

    /**
     * The settings the given environment variables describe.
     *
     * @param home the user's home directory, for the {@code ~/.cache} default and {@code ~} in values
     */
    public static HubSettings from(Map<String, String> env, Path home) {
        String endpoint = nonEmpty(env.get("HF_ENDPOINT"));
        Path hfHome = path(env.get("HF_HOME"), home);
        if (hfHome == null) {
            Path xdg = path(env.get("XDG_CACHE_HOME"), home);
            hfHome = (xdg != null ? xdg : home.resolve(".cache")).resolve("huggingface");
        }
        Path cache = path(env.get("HF_HUB_CACHE"), home);
        if (cache == null) {
            cache = path(env.get("HUGGINGFACE_HUB_CACHE"), home);
        }
        if (cache == null) {
            cache = hfHome.resolve("hub");
        }
        boolean offline = isTrue(env.get("HF_HUB_OFFLINE")) || isTrue(env.get("TRANSFORMERS_OFFLINE"));
        String token = nonEmpty(env.get("HF_TOKEN"));
        if (token == null) {
            token = nonEmpty(env.get("HUGGING_FACE_HUB_TOKEN"));
        }
        if (token == null) {
            Path tokenPath = path(env.get("HF_TOKEN_PATH"), home);
            token = readToken(tokenPath != null ? tokenPath : hfHome.resolve("token"));
        }
        boolean bars = !isTrue(env.get("HF_HUB_DISABLE_PROGRESS_BARS"));
        return new HubSettings(endpoint != null ? endpoint : DEFAULT_ENDPOINT, cache, offline, token, bars);
    }

    public HubSettings withOffline(boolean value) {
        return new HubSettings(endpoint, cacheDir, value, token, progressBars);
    }

    public HubSettings withCacheDir(Path dir) {
        return new HubSettings(endpoint, dir, offline, token, progressBars);
    }

    public HubSettings withEndpoint(String url) {
        return new HubSettings(url, cacheDir, offline, token, progressBars);
    }

    public HubSettings withToken(String value) {
        return new HubSettings(endpoint, cacheDir, offline, value, progressBars);
    }

    public HubSettings withProgressBars(boolean value) {
        return new HubSettings(endpoint, cacheDir, offline, token, value);
    }

    /** The token is a secret: never print it. */
    @Override
    public String toString() {
        return "HubSettings[endpoint=" + endpoint + ", cacheDir=" + cacheDir + ", offline=" + offline
                + ", token=" + (token == null ? "none" : "set") + ", progressBars=" + progressBars + "]";
    }

    static boolean isTrue(String value) {
        return value != null && TRUE_VALUES.contains(value.trim().toUpperCase(Locale.ROOT));
    }

    private static String nonEmpty(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

    /** A path from an environment value, {@code ~} expanded as Python's {@code expanduser} does. */
    private static Path path(String value, Path home) {
        String v = nonEmpty(value);
        if (v == null) {
            return null;
        }
        if (v.equals("~")) {
            return home;
        }
        if (v.startsWith("~/")) {
            return home.resolve(v.substring(2));
        }
        return Path.of(v);
    }

    private static String readToken(Path file) {
        try {
            return Files.isRegularFile(file) ? nonEmpty(Files.readString(file, StandardCharsets.UTF_8)) : null;
        } catch (IOException | RuntimeException e) {
            return null; // an unreadable token file means no token, as in huggingface_hub
        }
    }
}
