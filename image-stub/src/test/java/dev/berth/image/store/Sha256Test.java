package dev.berth.image.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.berth.image.NodeLibraries;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The streaming SHA-256 gives the JDK's digest, whoever computes it, however the bytes are split. */
class Sha256Test {

  @Test
  void libcryptoComputesTheDigestsWhereTheNodeHasIt() {
    assertEquals(NodeLibraries.hasLibcrypto3(), Sha256.isNative());
  }

  @Test
  void givesTheJdksDigestForEverySplitOfTheBytes() throws Exception {
    SplittableRandom random = new SplittableRandom(21);
    for (int size : new int[] {0, 1, 55, 56, 64, 65, 1000, 65536, 1 << 20}) {
      byte[] bytes = new byte[size];
      random.nextBytes(bytes);
      Sha256 streamed = Sha256.start();
      int offset = 0;
      while (offset < size) {
        int piece = Math.min(size - offset, 1 + random.nextInt(70_000));
        streamed.update(bytes, offset, piece);
        offset += piece;
      }
      assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(bytes), streamed.digest(), "size " + size);
    }
  }

  @Test
  void theEmptyStreamHasTheKnownDigest() {
    assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        HexFormat.of().formatHex(Sha256.start().digest()));
  }

  @Test
  void aDigestIsTakenOnceAndBoundsAreChecked() {
    Sha256 sha = Sha256.start();
    assertThrows(IndexOutOfBoundsException.class, () -> sha.update(new byte[4], 2, 3));
    sha.digest();
    assertThrows(IllegalStateException.class, sha::digest);
    assertThrows(IllegalStateException.class, () -> sha.update(new byte[1], 0, 1));
  }

  @Test
  void digestsUpdatedInTurnKeepTheirOwnState() throws Exception {
    // A pull hashes each layer twice at once (compressed and uncompressed): two contexts updated
    // in turn must not share anything.
    byte[] first = new byte[200_000];
    byte[] second = new byte[150_000];
    new SplittableRandom(7).nextBytes(first);
    new SplittableRandom(8).nextBytes(second);
    Sha256 a = Sha256.start();
    Sha256 b = Sha256.start();
    for (int offset = 0; offset < first.length; offset += 10_000) {
      a.update(first, offset, 10_000);
      if (offset < second.length) {
        b.update(second, offset, 10_000);
      }
    }
    assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(second), b.digest());
    assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(first), a.digest());
  }
}
