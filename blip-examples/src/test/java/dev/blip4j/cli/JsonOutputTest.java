package dev.blip4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonParser;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code --json} output is JSON: numbers that are not finite are written as null, never bare NaN. */
class JsonOutputTest {

    @Test
    void nonFiniteNumbersBecomeNull() {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("text", "a dog");
        row.put("itm", Float.NaN);
        row.put("itc", Double.NEGATIVE_INFINITY);
        row.put("score", 0.5f);
        row.put("scores", new float[] {1f, Float.POSITIVE_INFINITY});
        row.put("boxed", List.of(Double.NaN, 2.0));
        String json = Json.GSON.toJson(List.of(row)).replaceAll("\\s+", "");
        assertEquals("[{\"text\":\"adog\",\"itm\":null,\"itc\":null,\"score\":0.5,\"scores\":[1.0,null],"
                + "\"boxed\":[null,2.0]}]", json);
        JsonParser.parseString(json); // strict enough: NaN would parse leniently, null is plain JSON
    }
}
