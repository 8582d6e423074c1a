package dev.berth.image.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Content-addressed blobs under {@code blobs/sha256/<hex>}, as in an OCI image layout. A blob is
 * written to a temp file while its sha256 is computed and is renamed into place only when the
 * digest is the expected one: a name on disk is therefore always the hash of its content.
 */
public final class BlobStore {

  private final Path dir;
  private final Path tempDir;

  public BlobStore(Path dir, Path tempDir) throws IOException {
    this.dir = PrivateDirectory.create(dir);
    this.tempDir = PrivateDirectory.create(tempDir);
  }

  public Path path(Digest digest) {
    return dir.resolve(digest.hex());
  }

  public boolean contains(Digest digest) {
    return Files.isRegularFile(path(digest));
  }

  public long size(Digest digest) throws IOException {
    return Files.size(path(digest));
  }

  public InputStream open(Digest digest) throws IOException {
    return Files.newInputStream(path(digest));
  }

  public byte[] read(Digest digest) throws IOException {
    return Files.readAllBytes(path(digest));
  }

  /**
   * Copies the stream into the store and verifies it against {@code expected} (null: accept any
   * content and return its digest). On a mismatch nothing is stored and the exception names both.
   */
  public Digest write(InputStream in, Digest expected, String what) throws IOException {
    return write(in, expected, what, d -> { });
  }

  /**
   * As {@link #write(InputStream, Digest, String)}, calling {@code beforeCommit} with the verified
   * digest before the blob becomes visible (an import leases it there, so that a concurrent
   * garbage collection cannot take it).
   */
  public Digest write(InputStream in, Digest expected, String what, java.util.function.Consumer<Digest> beforeCommit)
      throws IOException {
    IncomingBlob blob = incoming(in, expected, what);
    try {
      return blob.commit(beforeCommit);
    } finally {
      blob.discard();
    }
  }

  /**
   * A blob stored as the returned stream is read (by an unpack, say); nothing is in the store
   * until {@link IncomingBlob#commit} has checked the digest against {@code expected}.
   */
  public IncomingBlob incoming(InputStream in, Digest expected, String what) throws IOException {
    Path temp = tempDir.resolve(AtomicFiles.TEMP_PREFIX + "blob-" + UUID.randomUUID());
    return new IncomingBlob(this, temp, new DigestingInputStream(in), expected, what);
  }

  public Digest write(byte[] content, Digest expected, String what) throws IOException {
    return write(new java.io.ByteArrayInputStream(content), expected, what);
  }

  public Set<Digest> list() throws IOException {
    Set<Digest> all = new HashSet<>();
    try (Stream<Path> files = Files.list(dir)) {
      files.forEach(f -> {
        try {
          all.add(new Digest(f.getFileName().toString()));
        } catch (IllegalArgumentException e) {
          // not a blob (a stray file); left alone
        }
      });
    }
    return all;
  }

  public void delete(Digest digest) throws IOException {
    Files.deleteIfExists(path(digest));
  }
}
