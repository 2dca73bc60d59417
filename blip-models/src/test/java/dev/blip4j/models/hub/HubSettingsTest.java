package dev.blip4j.models.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blip4j.core.InputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The environment variables huggingface_hub's constants.py reads, with its precedence. */
class HubSettingsTest {

    @TempDir
    Path home;

    @Test
    void defaultsAreHuggingfaceHubs() {
        HubSettings s = HubSettings.from(Map.of(), home);
        assertEquals("https://huggingface.co", s.endpoint());
        assertEquals(home.resolve(".cache/huggingface/hub"), s.cacheDir());
        assertFalse(s.offline());
        assertNull(s.token());
        assertTrue(s.progressBars());
    }

    @Test
    void cachePrecedence() {
        assertEquals(Path.of("/x/hub"), HubSettings.from(Map.of("HF_HUB_CACHE", "/x/hub", "HF_HOME", "/h",
                "HUGGINGFACE_HUB_CACHE", "/legacy"), home).cacheDir());
        assertEquals(Path.of("/legacy"), HubSettings.from(Map.of("HF_HOME", "/h", "HUGGINGFACE_HUB_CACHE", "/legacy"),
                home).cacheDir());
        assertEquals(Path.of("/h/hub"), HubSettings.from(Map.of("HF_HOME", "/h", "XDG_CACHE_HOME", "/xdg"), home)
                .cacheDir());
        assertEquals(Path.of("/xdg/huggingface/hub"), HubSettings.from(Map.of("XDG_CACHE_HOME", "/xdg"), home)
                .cacheDir());
        assertEquals(home.resolve("c/hub"), HubSettings.from(Map.of("HF_HOME", "~/c"), home).cacheDir());
    }

    @Test
    void offlineAndProgressFlagsAcceptPythonsTrueValues() {
        for (String v : new String[] {"1", "true", "TRUE", "yes", "On"}) {
            assertTrue(HubSettings.from(Map.of("HF_HUB_OFFLINE", v), home).offline(), v);
            assertTrue(HubSettings.from(Map.of("TRANSFORMERS_OFFLINE", v), home).offline(), v);
            assertFalse(HubSettings.from(Map.of("HF_HUB_DISABLE_PROGRESS_BARS", v), home).progressBars(), v);
        }
        for (String v : new String[] {"0", "false", "", "no"}) {
            assertFalse(HubSettings.from(Map.of("HF_HUB_OFFLINE", v), home).offline(), v);
        }
    }

    @Test
    void endpointAndToken() throws IOException {
        HubSettings s = HubSettings.from(Map.of("HF_ENDPOINT", "http://mirror.local:8080/", "HF_TOKEN", "hf_a"), home);
        assertEquals("http://mirror.local:8080", s.endpoint());
        assertEquals("hf_a", s.token());
        assertFalse(s.toString().contains("hf_a"), "the token is never printed");
        Files.createDirectories(home.resolve(".cache/huggingface"));
        Files.writeString(home.resolve(".cache/huggingface/token"), "hf_file\n");
        assertEquals("hf_file", HubSettings.from(Map.of(), home).token());
        assertEquals("hf_legacy", HubSettings.from(Map.of("HUGGING_FACE_HUB_TOKEN", "hf_legacy"), home).token());
    }

    @Test
    void modelIds() {
        ModelId id = ModelId.parse("Salesforce/blip-image-captioning-base");
        assertEquals("main", id.revision());
        assertEquals("models--Salesforce--blip-image-captioning-base", HfCache.folderName(id));
        assertEquals("v1.0", ModelId.parse("a/b@v1.0").revision());
        assertTrue(ModelId.parse("a/b@0123456789abcdef0123456789abcdef01234567").isCommit());
        for (String bad : new String[] {"a", "a/b/c", "/a/b", "./a", "a/b@", "a--x/b", "a/b@../../x", "a/.b", "a/b c"}) {
            assertTrue(ModelId.tryParse(bad).isEmpty(), bad);
        }
        assertThrows(InputException.class, () -> ModelId.parse("not an id"));
    }
}
