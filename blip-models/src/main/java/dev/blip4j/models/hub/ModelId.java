package dev.blip4j.models.hub;

import dev.blip4j.core.InputException;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A model on the hub, {@code org/name[@revision]} as in {@code Salesforce/blip-image-captioning-base@main}.
 * The revision is a branch, a tag or a 40-digit commit hash; {@code main} when not given.
 */
public record ModelId(String org, String name, String revision) {

    public static final String DEFAULT_REVISION = "main";

    /** huggingface_hub's {@code validate_repo_id}: word characters, '-' and '.', not starting or ending with '-' or '.'. */
    private static final Pattern PART = Pattern.compile("[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?");
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");
    private static final int MAX_REPO_ID_LENGTH = 96;

    public ModelId {
        check(org, "organisation");
        check(name, "name");
        if ((org + "/" + name).length() > MAX_REPO_ID_LENGTH) {
            throw new InputException("model id " + org + "/" + name + " is longer than " + MAX_REPO_ID_LENGTH + " characters");
        }
        if (revision == null || revision.isEmpty()) {
            revision = DEFAULT_REVISION;
        }
        // The revision names a file under refs/ in the cache: keep it inside.
        if (revision.startsWith("/") || revision.contains("\\") || revision.contains("..") || revision.endsWith("/")
                || revision.contains("//") || revision.chars().anyMatch(c -> c < 0x20)) {
            throw new InputException("invalid revision '" + revision + "' in model id " + org + "/" + name);
        }
    }

    /** Parses {@code org/name[@revision]}; throws {@link InputException} when it is not one. */
    public static ModelId parse(String spec) {
        return tryParse(spec).orElseThrow(() -> new InputException("'" + spec
                + "' is not a model id of the form organisation/name[@revision]"));
    }

    /** The id {@code spec} spells, or empty when it is not of the form {@code org/name[@revision]}. */
    public static Optional<ModelId> tryParse(String spec) {
        if (spec == null) {
            return Optional.empty();
        }
        String repo = spec;
        String revision = null;
        int at = spec.indexOf('@');
        if (at >= 0) {
            repo = spec.substring(0, at);
            revision = spec.substring(at + 1);
            if (revision.isEmpty()) {
                return Optional.empty();
            }
        }
        int slash = repo.indexOf('/');
        if (slash <= 0 || slash != repo.lastIndexOf('/')) {
            return Optional.empty();
        }
        String org = repo.substring(0, slash);
        String name = repo.substring(slash + 1);
        if (!valid(org) || !valid(name)) {
            return Optional.empty();
        }
        try {
            return Optional.of(new ModelId(org, name, revision));
        } catch (InputException e) {
            return Optional.empty();
        }
    }

    public String repoId() {
        return org + "/" + name;
    }

    /** Whether the revision is a full commit hash, which the cache can answer without the network. */
    public boolean isCommit() {
        return COMMIT.matcher(revision).matches();
    }

    public static boolean isCommitHash(String s) {
        return s != null && COMMIT.matcher(s).matches();
    }

    public ModelId withRevision(String rev) {
        return new ModelId(org, name, rev);
    }

    @Override
    public String toString() {
        return repoId() + (revision.equals(DEFAULT_REVISION) ? "" : "@" + revision);
    }

    private static boolean valid(String part) {
        return part != null && PART.matcher(part).matches() && !part.contains("--") && !part.contains("..");
    }

    private static void check(String part, String what) {
        if (!valid(part)) {
            throw new InputException("invalid model id " + what + " '" + part + "' (letters, digits, '-', '_', '.')");
        }
    }
}
