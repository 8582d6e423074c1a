package dev.berth.image.registry;

import dev.berth.image.store.ReadThroughInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * A blob body held to the size its descriptor declares: the read that would pass that size fails
 * at once (nothing beyond it reaches the disk), and an end before it fails too. A registry cannot
 * fill the store with a blob bigger than the manifest said, digest check or not.
 */
final class DeclaredSizeInputStream extends ReadThroughInputStream {

  private final long declared;
  private final String what;
  private long count;

  DeclaredSizeInputStream(InputStream in, long declared, String what) {
    super(in);
    this.declared = declared;
    this.what = what;
  }

  @Override
  public int read(byte[] buf, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    // One byte more than is left is asked for, so that a longer body shows itself right here.
    int n = super.read(buf, off, (int) Math.min(len, declared - count + 1));
    if (n < 0) {
      if (count < declared) {
        throw mismatch("ended after " + count + " of its " + declared + " declared bytes");
      }
      return -1;
    }
    count += n;
    if (count > declared) {
      throw mismatch("is larger than the " + declared + " bytes its descriptor declares; refused after "
          + declared + " bytes");
    }
    return n;
  }

  private RegistryException mismatch(String detail) {
    return new RegistryException(RegistryException.Kind.SIZE_MISMATCH, what + " " + detail);
  }
}
