package dev.berth.image.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.Consumer;

/**
 * A blob stored as someone else reads it: every byte read through this stream is hashed and
 * written to a temp file, so that a layer can be unpacked from the download itself and the blob
 * kept without reading it twice. {@link #commit} reads what the reader left, checks the digest
 * and only then gives the blob its name; {@link #discard}, in a finally, deletes the temp file of
 * a blob that was not committed.
 */
public final class IncomingBlob extends ReadThroughInputStream {

  private static final int DRAIN_BUFFER = 1 << 16;

  private final BlobStore store;
  private final Path temp;
  private final FileChannel file;
  private final DigestingInputStream digesting;
  private final Digest expected;
  private final String what;
  private boolean committed;
  private boolean sourceFailed;

  IncomingBlob(BlobStore store, Path temp, DigestingInputStream source, Digest expected, String what)
      throws IOException {
    super(source);
    this.store = store;
    this.temp = temp;
    this.digesting = source;
    this.expected = expected;
    this.what = what;
    this.file = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
  }

  /**
   * Reads until {@code len} bytes or the end: a download arrives a few KiB at a time, and passing
   * each piece on at once would cost a write(2) of the blob, and a pass through the inflater, the
   * tar reader and a file write of the layer, for every piece.
   */
  @Override
  public int read(byte[] buf, int off, int len) throws IOException {
    int n = 0;
    try {
      while (n < len) {
        int got = super.read(buf, off + n, len - n);
        if (got <= 0) {
          break;
        }
        n += got;
      }
    } catch (IOException e) {
      sourceFailed = true;
      throw e;
    }
    if (n == 0 && len > 0) {
      return -1;
    }
    if (n > 0) {
      ByteBuffer written = ByteBuffer.wrap(buf, off, n);
      while (written.hasRemaining()) {
        file.write(written);
      }
    }
    return n;
  }

  /** Bytes read so far. */
  public long count() {
    return digesting.count();
  }

  /**
   * Reads the rest of the stream (a tar's end padding, a compressor's trailer), syncs the file,
   * checks the digest against the expected one (null: any) and renames the blob into place;
   * {@code beforeCommit} sees the verified digest first. On a mismatch nothing is stored.
   */
  public Digest commit(Consumer<Digest> beforeCommit) throws IOException {
    byte[] buf = new byte[DRAIN_BUFFER];
    while (read(buf, 0, buf.length) >= 0) {
      // hashed and written by read
    }
    file.force(true);
    file.close();
    Digest actual = digesting.digest();
    if (expected != null && !expected.equals(actual)) {
      throw new DigestMismatchException(what, expected, actual);
    }
    beforeCommit.accept(actual);
    if (store.contains(actual)) {
      Files.delete(temp);
    } else {
      AtomicFiles.moveIntoPlace(temp, store.path(actual));
    }
    committed = true;
    return actual;
  }

  /**
   * Why a reader of this blob failed. Bytes that are not the blob at all (damaged at the registry
   * or on the way) make a decompressor or tar reader fail long before the digest could be checked;
   * so when the source itself did not fail, the rest of it is read (bounded as the source is) and
   * a digest mismatch, if there is one, is the failure, the reader's carried with it.
   */
  public IOException explain(IOException readerFailure) {
    if (sourceFailed || expected == null || Thread.currentThread().isInterrupted()) {
      return readerFailure;
    }
    try {
      byte[] buf = new byte[DRAIN_BUFFER];
      while (read(buf, 0, buf.length) > 0) {
        // hashed and written by read
      }
    } catch (IOException e) {
      readerFailure.addSuppressed(e);
      return readerFailure;
    }
    Digest actual = digesting.digest();
    if (expected.equals(actual)) {
      return readerFailure;
    }
    DigestMismatchException mismatch = new DigestMismatchException(what, expected, actual);
    mismatch.addSuppressed(readerFailure);
    return mismatch;
  }

  /** As {@link #commit(Consumer)} with nothing to do before the blob becomes visible. */
  public Digest commit() throws IOException {
    return commit(d -> { });
  }

  /**
   * Ends nothing: a reader that closes the stream when it is done (a tar reader does) must leave
   * the blob to {@link #commit} or {@link #discard}, and the source to the caller who opened it.
   */
  @Override
  public void close() {
  }

  /** Deletes the temp file unless the blob was committed; safe to call again. */
  public void discard() throws IOException {
    file.close();
    if (!committed) {
      Files.deleteIfExists(temp);
    }
  }
}
