package dev.blip4j.models.checkpoint;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything a {@code .safetensors} file holds. The free-form {@code __metadata__} is kept apart
 * from the tensors because HuggingFace uses it for hints ({@code "format": "pt"}) that are not
 * weights and must never be looked up as one.
 *
 * @param tensors in the order the header lists them; unmodifiable
 * @param metadata the {@code __metadata__} strings, empty when the file has none; unmodifiable
 */
public record SafeTensorsFile(Map<String, TensorData> tensors, Map<String, String> metadata) {

    public SafeTensorsFile {
        tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }
}
