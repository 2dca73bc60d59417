package dev.blip4j.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;

/** JSON as the CLI prints it: pretty, field names as given, NaN written rather than refused. */
final class Json {

    static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping()
            .serializeSpecialFloatingPointValues().create();

    private Json() {}
}
