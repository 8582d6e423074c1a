package dev.berth.image.registry;

import dev.berth.image.manifest.Descriptor;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * GET /v2/NAME/blobs/DIGEST straight into a sink (the blob store, or a layer unpack storing the
 * blob as it goes), which verifies the digest while the bytes stream, never reading past the size
 * the descriptor declares; long downloads log their progress every few seconds.
 */
final class BlobPuller {

  private static final Logger log = LoggerFactory.getLogger(BlobPuller.class);
  private static final long PROGRESS_NANOS = 5_000_000_000L;

  private final RegistrySession session;

  BlobPuller(RegistrySession session) {
    this.session = session;
  }

  /** Streams the blob's body into the sink; returns what the sink made of it. */
  <T> T pull(Descriptor blob, BlobSink<T> sink, String what) throws IOException, InterruptedException {
    String label = what + " blob " + blob.digest();
    if (blob.size() < 0) {
      // The size is what bounds the download; a descriptor must carry it (OCI image spec).
      throw new RegistryException(RegistryException.Kind.PROTOCOL, label + ": its descriptor declares no size");
    }
    HttpResponse<InputStream> response = RegistryClient.wrap(() -> session.get(
        session.endpoint().uri(session.repository(), "blobs", blob.digest().toString()), null, label), what);
    try (InputStream body = response.body()) {
      if (response.statusCode() != 200) {
        throw RegistryClient.statusError(response.statusCode(), label + ": GET blob");
      }
      long announced = response.headers().firstValueAsLong("Content-Length").orElse(-1);
      if (announced >= 0 && announced != blob.size()) {
        throw new RegistryException(RegistryException.Kind.SIZE_MISMATCH, label + ": the registry announces "
            + announced + " bytes but the descriptor declares " + blob.size() + "; refused before reading");
      }
      String reading = "reading blob " + blob.digest() + " from " + session.endpoint();
      session.progress().step(reading);
      InputStream tracked = new TransportFailures(session.progress().trackBlob(body, reading), label);
      InputStream bounded = new DeclaredSizeInputStream(tracked, blob.size(), label);
      try (InputStream logged = new ProgressLog(bounded, blob, label)) {
        return sink.accept(logged);
      }
    }
  }

  /**
   * Names the blob in a failure of the connection under it, as a registry failure; the sink's
   * own failures, above this stream, are left as they are.
   */
  private static final class TransportFailures extends FilterInputStream {
    private final String label;

    TransportFailures(InputStream in, String label) {
      super(in);
      this.label = label;
    }

    @Override
    public int read() throws IOException {
      try {
        return super.read();
      } catch (IOException e) {
        throw named(e);
      }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      try {
        return super.read(b, off, len);
      } catch (IOException e) {
        throw named(e);
      }
    }

    private IOException named(IOException e) {
      if (e instanceof RegistryException || e instanceof java.io.InterruptedIOException) {
        return e;
      }
      return new RegistryException(RegistryException.Kind.UNAVAILABLE, label + ": reading the body: " + e, e);
    }
  }

  /** Counts bytes for the progress log; the digest itself is checked by the store. */
  private static final class ProgressLog extends FilterInputStream {
    private final Descriptor blob;
    private final String label;
    private final long start = System.nanoTime();
    private long lastLog = start;
    private long bytes;

    ProgressLog(InputStream in, Descriptor blob, String label) {
      super(in);
      this.blob = blob;
      this.label = label;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0) {
        bytes += n;
        long now = System.nanoTime();
        if (now - lastLog > PROGRESS_NANOS) {
          lastLog = now;
          log.info("pulling {}: {} of {} MiB after {} s", label, bytes >> 20,
              blob.size() > 0 ? String.valueOf(blob.size() >> 20) : "?", (now - start) / 1_000_000_000L);
        }
      }
      return n;
    }
  }
}
