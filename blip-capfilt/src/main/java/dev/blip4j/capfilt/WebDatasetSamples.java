package dev.blip4j.capfilt;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The samples of a WebDataset tar shard, grouped as {@code webdataset}'s {@code tar_file_iterator}
 * and {@code group_by_keys} do: a member {@code dir/name.ext} (ext everything after the first dot
 * of the base name, lower-cased) belongs to sample {@code __key__ = dir/name}; consecutive members
 * with the same key form one sample; members without a dot and {@code __meta__} files are passed
 * over. Of a sample's members:
 * <ul>
 *   <li>{@code jpg}, {@code jpeg}, {@code png}, {@code webp}: the image (the first one, if several);</li>
 *   <li>{@code txt}: the web text (UTF-8, as written);</li>
 *   <li>{@code json}: an object whose fields are carried to the output; its {@code caption} (or
 *       {@code text}) string is the web text when there is no {@code txt}; a {@code key} equal to
 *       {@code __key__} (img2dataset writes one) is not repeated;</li>
 *   <li>anything else is ignored.</li>
 * </ul>
 * A sample without an image, with two members of one extension (webdataset refuses those), or with
 * a {@code json} that is not an object becomes an error sample. A corrupt or truncated shard ends
 * with one error sample naming the problem (the sample being read when it happened, or the shard
 * if no sample had started); the samples before it are kept.
 */
final class WebDatasetSamples extends LookaheadSamples {

    /** Image extensions read from shards. */
    static final Set<String> IMAGE_EXTENSIONS = Set.of("jpg", "jpeg", "png", "webp");

    /** Largest member read (an image file this large is far beyond the pixel limits anyway). */
    static final long MAX_MEMBER_BYTES = 256L << 20;

    private final InputFile file;
    private final Predicate<String> wanted;
    private TarReader tar;
    private TarReader.Entry pending;
    private String pendingKey;
    private String pendingExt;

    WebDatasetSamples(InputFile file, Predicate<String> wanted) {
        this.file = file;
        this.wanted = wanted;
    }

    /** What one sample's members gave. */
    private final class Group {
        final String key;
        final boolean want;
        final List<String> exts = new ArrayList<>();
        String imageMember;
        byte[] image;
        String txt;
        JsonObject json;
        String error;

        Group(String key) {
            this.key = key;
            this.want = wanted.test(key);
        }

        void add(TarReader.Entry e, String ext) throws IOException {
            if (exts.contains(ext)) {
                error = "duplicate member " + e.name() + " in sample " + key;
                return;
            }
            exts.add(ext);
            if (IMAGE_EXTENSIONS.contains(ext)) {
                if (imageMember == null) {
                    imageMember = e.name();
                    if (want) {
                        image = tar.read(MAX_MEMBER_BYTES);
                    }
                }
            } else if (want && ext.equals("txt")) {
                txt = new String(tar.read(MAX_MEMBER_BYTES), StandardCharsets.UTF_8);
            } else if (want && ext.equals("json")) {
                String s = new String(tar.read(MAX_MEMBER_BYTES), StandardCharsets.UTF_8);
                try {
                    JsonElement j = JsonParser.parseString(s);
                    if (j.isJsonObject()) {
                        json = j.getAsJsonObject();
                    } else {
                        error = e.name() + ": not a JSON object";
                    }
                } catch (JsonParseException ex) {
                    error = e.name() + ": not valid JSON (" + ex.getMessage() + ")";
                }
            }
        }

        Sample toSample() {
            String imageRef = file.path() + "#" + (imageMember != null ? imageMember : key);
            if (!want) {
                return Sample.failed(key, imageRef, null, null, null);
            }
            String text = txt;
            JsonObject extra = new JsonObject();
            if (json != null) {
                String textField = null;
                if (text == null) {
                    for (String f : new String[] {"caption", "text"}) {
                        JsonElement c = json.get(f);
                        if (c != null && c.isJsonPrimitive() && c.getAsJsonPrimitive().isString()) {
                            text = c.getAsString();
                            textField = f;
                            break;
                        }
                    }
                }
                for (Map.Entry<String, JsonElement> f : json.entrySet()) {
                    String name = f.getKey();
                    if (name.equals(textField) || name.equals("key") && f.getValue().isJsonPrimitive()
                            && f.getValue().getAsString().equals(key)) {
                        continue;
                    }
                    extra.add(SampleReader.carriedName(name), f.getValue());
                }
            }
            String why = error;
            if (why == null && imageMember == null) {
                why = "no image (.jpg, .jpeg, .png or .webp member) in sample " + key;
            }
            if (why != null) {
                return Sample.failed(key, imageRef, text, extra.toString(), file.path() + ": " + why);
            }
            return new Sample(key, imageRef, null, image, text, extra.toString(), null);
        }
    }

    @Override
    protected Sample advance() {
        Group group = null;
        try {
            if (tar == null) {
                tar = new TarReader(new BufferedInputStream(Files.newInputStream(file.file()), 1 << 16), file.path());
                nextMember();
            }
            if (pending == null) {
                done = true;
                return null;
            }
            group = new Group(pendingKey);
            group.add(pending, pendingExt);
            while (true) {
                nextMember();
                if (pending == null || !pendingKey.equals(group.key)) {
                    return group.toSample();
                }
                group.add(pending, pendingExt);
            }
        } catch (IOException | UncheckedIOException e) {
            done = true;
            String message = e.getMessage() != null && e.getMessage().startsWith(file.path()) ? e.getMessage()
                    : file.path() + ": " + e.getMessage();
            if (group != null) {
                return Sample.failed(group.key, file.path() + "#" + group.key, null, null, message);
            }
            String key = file.name();
            wanted.test(key);
            return Sample.failed(key, file.path(), null, null, message);
        }
    }

    /** Advances {@code pending} to the next member that belongs to a sample, or null at the end. */
    private void nextMember() throws IOException {
        while (true) {
            pending = tar.next();
            if (pending == null) {
                return;
            }
            String name = pending.name();
            int slash = name.lastIndexOf('/');
            String base = name.substring(slash + 1);
            if (slash < 0 && base.startsWith("__") && base.endsWith("__")) {
                continue;
            }
            int dot = base.indexOf('.');
            if (dot <= 0) {
                continue;
            }
            pendingKey = name.substring(0, slash + 1 + dot);
            pendingExt = base.substring(dot + 1).toLowerCase(Locale.ROOT);
            return;
        }
    }

    @Override
    public void close() {
        done = true;
        if (tar != null) {
            try {
                tar.close();
            } catch (IOException e) {
                // read-only
            }
        }
    }
}
