package dev.blip4j.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import dev.blip4j.models.config.JsonText;

/** JSON as the CLI prints it: pretty, field names as given, NaN and infinities as null (they are not JSON). */
final class Json {

    static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping()
            .registerTypeAdapterFactory(JsonText.finiteOrNull()).create();

    private Json() {}
}
