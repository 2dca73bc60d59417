package dev.blip4j.models.checkpoint;

import dev.blip4j.core.InputException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Exclusive right to update a folder that resumable jobs write (a gallery index, a CapFilt output),
 * held through a lock file in it. A second writer, in this JVM or another, is refused at once
 * rather than left to interleave its appends with the first one's.
 */
public final class FolderLock implements AutoCloseable {

    private final FileChannel channel;
    private final FileLock lock;

    private FolderLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * @param lockFile the lock file (created if missing, never deleted)
     * @param busy the message of the {@link InputException} thrown when another writer holds it
     */
    public static FolderLock acquire(Path lockFile, String busy) throws IOException {
        FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            FileLock lock = channel.tryLock();
            if (lock != null) {
                return new FolderLock(channel, lock);
            }
        } catch (OverlappingFileLockException e) {
            // held by another writer in this JVM
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        channel.close();
        throw new InputException(busy);
    }

    @Override
    public void close() throws IOException {
        try {
            lock.release();
        } finally {
            channel.close();
        }
    }
}
