package dev.berth.image.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A blob stored while another reader (an unpack) consumes it: one pass, verified, or nothing. */
class IncomingBlobTest {

  private static final byte[] CONTENT = "layer bytes, then a trailer the reader never asks for"
      .getBytes(StandardCharsets.UTF_8);

  @TempDir
  Path tmp;

  private BlobStore store() throws IOException {
    return new BlobStore(tmp.resolve("blobs"), tmp.resolve("tmp"));
  }

  @Test
  void whatTheReaderLeavesIsReadAtCommitAndTheWholeBlobIsStored() throws IOException {
    BlobStore store = store();
    IncomingBlob blob = store.incoming(new ByteArrayInputStream(CONTENT), Digest.of(CONTENT), "blob");
    try {
      assertEquals(11, blob.read(new byte[11], 0, 11)); // the reader stops early and closes
      blob.close();
      assertEquals(Digest.of(CONTENT), blob.commit());
    } finally {
      blob.discard();
    }
    assertArrayEquals(CONTENT, store.read(Digest.of(CONTENT)));
    assertEquals(List.of(), entries(tmp.resolve("tmp")));
  }

  @Test
  void aDownloadArrivingInSmallPiecesIsPassedOnInWholeBuffers() throws IOException {
    byte[] content = new byte[10_000];
    new java.util.Random(7).nextBytes(content);
    InputStream trickle = new ByteArrayInputStream(content) {
      @Override
      public synchronized int read(byte[] b, int off, int len) {
        return super.read(b, off, Math.min(len, 1000)); // as a socket hands over what has come
      }
    };
    IncomingBlob blob = store().incoming(trickle, Digest.of(content), "blob");
    try {
      byte[] buf = new byte[8192];
      assertEquals(8192, blob.read(buf, 0, buf.length));
      assertEquals(10_000 - 8192, blob.read(buf, 0, buf.length));
      assertEquals(-1, blob.read(buf, 0, buf.length));
      assertEquals(Digest.of(content), blob.commit());
    } finally {
      blob.discard();
    }
  }

  @Test
  void aDigestMismatchStoresNothingAndLeavesNoTempFile() throws IOException {
    BlobStore store = store();
    Digest claimed = Digest.of("something else".getBytes(StandardCharsets.UTF_8));
    IncomingBlob blob = store.incoming(new ByteArrayInputStream(CONTENT), claimed, "pull x blob " + claimed);
    try {
      blob.readAllBytes();
      DigestMismatchException e = assertThrows(DigestMismatchException.class, blob::commit);
      assertTrue(e.getMessage().contains("blob " + claimed), e.getMessage());
    } finally {
      blob.discard();
    }
    assertFalse(store.contains(claimed));
    assertEquals(List.of(), entries(tmp.resolve("blobs")));
    assertEquals(List.of(), entries(tmp.resolve("tmp")));
  }

  @Test
  void aReaderFailingOnBytesThatAreNotTheBlobIsExplainedAsADigestMismatch() throws IOException {
    BlobStore store = store();
    byte[] damaged = CONTENT.clone();
    damaged[3] ^= 0x55;
    IncomingBlob blob = store.incoming(new ByteArrayInputStream(damaged), Digest.of(CONTENT), "blob");
    try {
      blob.read(new byte[8], 0, 8);
      IOException tarError = new IOException("corrupt tar header");
      IOException explained = blob.explain(tarError);
      assertTrue(explained instanceof DigestMismatchException, explained.toString());
      assertSame(tarError, explained.getSuppressed()[0]);
    } finally {
      blob.discard();
    }
    assertEquals(List.of(), entries(tmp.resolve("tmp")));
  }

  @Test
  void aReaderFailingOnTheRightBytesKeepsItsOwnFailure() throws IOException {
    IncomingBlob blob = store().incoming(new ByteArrayInputStream(CONTENT), Digest.of(CONTENT), "blob");
    try {
      IOException tarError = new IOException("unsafe entry");
      assertSame(tarError, blob.explain(tarError));
    } finally {
      blob.discard();
    }
  }

  @Test
  void aFailingSourceIsNotReadAgainToExplainTheReadersFailure() throws IOException {
    InputStream broken = new InputStream() {
      private int reads;

      @Override
      public int read() throws IOException {
        throw new IOException("connection reset");
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (reads++ > 0) {
          throw new AssertionError("the failed source was read again");
        }
        throw new IOException("connection reset");
      }
    };
    IncomingBlob blob = store().incoming(broken, Digest.of(CONTENT), "blob");
    try {
      IOException reset = assertThrows(IOException.class, () -> blob.read(new byte[4], 0, 4));
      assertSame(reset, blob.explain(reset));
    } finally {
      blob.discard();
    }
    assertEquals(List.of(), entries(tmp.resolve("tmp")));
  }

  private static List<String> entries(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).toList();
    }
  }
}
