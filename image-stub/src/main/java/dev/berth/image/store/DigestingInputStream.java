package dev.berth.image.store;

import java.io.IOException;
import java.io.InputStream;
import java.util.HexFormat;

/** Hashes every byte read through it, so content is verified while it streams, never afterwards. */
public final class DigestingInputStream extends ReadThroughInputStream {
  private final Sha256 sha = Sha256.start();
  private long count;

  public DigestingInputStream(InputStream in) {
    super(in);
  }

  @Override
  public int read(byte[] buf, int off, int len) throws IOException {
    int n = super.read(buf, off, len);
    if (n > 0) {
      sha.update(buf, off, n);
      count += n;
    }
    return n;
  }

  /** Reads what is left, so that the digest covers the whole stream. */
  public void drain() throws IOException {
    skip(Long.MAX_VALUE);
  }

  public long count() {
    return count;
  }

  /** The digest of everything read so far; call once, at the end. */
  public Digest digest() {
    return new Digest(HexFormat.of().formatHex(sha.digest()));
  }
}
