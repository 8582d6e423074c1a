package dev.berth.image.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpHeaders;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DeclaredSizeInputStreamTest {

  /** An endless source that counts what was taken from it. */
  private static final class Endless extends InputStream {
    long taken;

    @Override
    public int read() {
      taken++;
      return 'x';
    }

    @Override
    public int read(byte[] b, int off, int len) {
      taken += len;
      return len;
    }
  }

  @Test
  void aBodyOfTheDeclaredSizePassesWhole() throws IOException {
    byte[] body = "exactly".getBytes();
    try (InputStream in = new DeclaredSizeInputStream(new ByteArrayInputStream(body), body.length, "blob b")) {
      assertArrayEquals(body, in.readAllBytes());
    }
  }

  @Test
  void aLongerBodyIsRefusedOneByteAfterTheDeclaredSize() {
    Endless source = new Endless();
    InputStream in = new DeclaredSizeInputStream(source, 1000, "blob b");
    RegistryException e = assertThrows(RegistryException.class, () -> in.transferTo(new ByteArrayOutputStream()));
    assertEquals(RegistryException.Kind.SIZE_MISMATCH, e.kind());
    assertTrue(e.getMessage().contains("blob b is larger than the 1000 bytes its descriptor declares"), e.getMessage());
    assertEquals(1001, source.taken, "read past the declared size");
  }

  @Test
  void aShorterBodyIsRefusedAtItsEnd() {
    InputStream in = new DeclaredSizeInputStream(new ByteArrayInputStream(new byte[400]), 1000, "blob b");
    RegistryException e = assertThrows(RegistryException.class, in::readAllBytes);
    assertTrue(e.getMessage().contains("ended after 400 of its 1000 declared bytes"), e.getMessage());
  }

  @Test
  void skippedBytesCountToo() {
    InputStream in = new DeclaredSizeInputStream(new Endless(), 10, "blob b");
    assertThrows(RegistryException.class, () -> in.skip(11));
  }

  @Test
  void aBoundedBodyHoldsAtMostItsLimitPlusOne() throws IOException {
    HttpHeaders none = HttpHeaders.of(Map.of(), (a, b) -> true);
    Endless source = new Endless();
    RegistryException e = assertThrows(RegistryException.class, () -> BoundedBody.read(source, none, 1 << 20, "answer"));
    assertEquals(RegistryException.Kind.TOO_LARGE, e.kind());
    assertTrue(e.getMessage().contains("the limit is 1 MiB"), e.getMessage());
    assertTrue(source.taken <= (1 << 20) + 1, "took " + source.taken);
    HttpHeaders huge = HttpHeaders.of(Map.of("Content-Length", List.of("5000000")), (a, b) -> true);
    Endless untouched = new Endless();
    assertThrows(RegistryException.class, () -> BoundedBody.read(untouched, huge, 1 << 20, "answer"));
    assertEquals(0, untouched.taken, "read a body announced too large");
    assertArrayEquals("ok".getBytes(), BoundedBody.read(new ByteArrayInputStream("ok".getBytes()), none, 10, "a"));
  }
}
