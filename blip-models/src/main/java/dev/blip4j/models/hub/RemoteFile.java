package dev.blip4j.models.hub;

import java.net.URI;

/**
 * What the hub says about one file of a repository at a revision (its answer to a HEAD request on
 * {@code /<repo>/resolve/<revision>/<file>}).
 *
 * @param file the file's path in the repository
 * @param commit the commit the revision resolved to ({@code X-Repo-Commit})
 * @param etag {@code X-Linked-Etag} for LFS files (the sha256 of the content), else {@code ETag}
 *     (the git blob sha1), quotes and {@code W/} removed: the blob's name in the cache
 * @param size the content length ({@code X-Linked-Size} for LFS files, else {@code Content-Length})
 * @param location where to GET the bytes: the CDN address of an LFS redirect, else the resolve URL
 */
public record RemoteFile(String file, String commit, String etag, long size, URI location) {}
