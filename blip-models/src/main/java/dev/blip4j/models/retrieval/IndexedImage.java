package dev.blip4j.models.retrieval;

/**
 * One image of a gallery index, as its manifest records it.
 *
 * @param id stable number of the entry (never reused within an index)
 * @param path absolute, normalised path of the file when indexed
 * @param bytes file size when indexed
 * @param modifiedMillis file modification time when indexed; with {@code bytes} it tells whether
 *     the file changed since
 * @param width decoded image width in pixels
 * @param height decoded image height in pixels
 * @param shard the embeddings shard holding its ITC embedding, relative to the index folder
 * @param row its row in that shard
 * @param tokens the file holding its full token states relative to the index folder, or null
 *     when they were not kept
 */
public record IndexedImage(long id, String path, long bytes, long modifiedMillis, int width, int height, String shard,
        int row, String tokens) {}
