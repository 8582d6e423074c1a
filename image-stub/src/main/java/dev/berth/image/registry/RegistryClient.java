package dev.berth.image.registry;

import dev.berth.image.manifest.Descriptor;
import dev.berth.image.manifest.ImageIndex;
import dev.berth.image.manifest.ImageManifest;
import dev.berth.image.manifest.ManifestException;
import dev.berth.image.manifest.Platform;
import dev.berth.image.reference.ImageReference;
import dev.berth.image.store.BlobStore;
import dev.berth.image.store.DigestMismatchException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OCI distribution API (v2), read side: resolve a reference to the platform's manifest
 * (through an index or manifest list), then fetch blobs. Mirrors are tried before the registry
 * itself; the blobs come from whichever endpoint served the manifest.
 */
public final class RegistryClient {

  private static final Logger log = LoggerFactory.getLogger(RegistryClient.class);

  /** Made by the first pull: see {@link #http()}. */
  private volatile HttpClient http;
  private final EndpointResolver endpoints;
  private final Platform platform;

  public RegistryClient(EndpointResolver endpoints, Platform platform) {
    this.endpoints = endpoints;
    this.platform = platform;
  }

  /**
   * Building an HttpClient loads the JDK's trust store and starts a selector thread: 150 to 450
   * ms of a fresh daemon's start on a loaded 2-core node, and a thread, its buffers and ~1,600
   * certificate objects on the heap held for nothing on a node that never pulls. So the first
   * pull makes it, and every later one shares it.
   */
  private HttpClient http() {
    HttpClient client = http;
    if (client == null) {
      synchronized (this) {
        client = http;
        if (client == null) {
          // Its own tasks (handing a response body on) run on virtual threads: its default pool
          // keeps a platform thread per concurrent layer download for a minute after each pull,
          // each with its stack and malloc arena resident.
          client = HttpClient.newBuilder()
              .connectTimeout(Duration.ofSeconds(15))
              .followRedirects(HttpClient.Redirect.NEVER)
              .executor(Executors.newVirtualThreadPerTaskExecutor())
              .build();
          http = client;
        }
      }
    }
    return client;
  }

  public RemoteImage resolve(ImageReference ref, RegistryCredentials credentials) throws IOException {
    return resolve(ref, credentials, new PullProgress());
  }

  /**
   * Resolves the reference; every request of the pull (this one and its blobs') reports to
   * {@code progress}, which the pull's stall watchdog reads.
   */
  public RemoteImage resolve(ImageReference ref, RegistryCredentials credentials, PullProgress progress)
      throws IOException {
    List<String> failures = new ArrayList<>();
    IOException last = null;
    for (RegistryEndpoint endpoint : endpoints.endpoints(ref.domain())) {
      RegistrySession session = new RegistrySession(http(), endpoint, ref.path(), credentials, progress);
      String what = "pull " + ref + " from " + endpoint;
      try {
        return resolveAt(ref, session, what);
      } catch (DigestMismatchException | ManifestException e) {
        throw e; // bad content is an error, not a reason to try elsewhere
      } catch (IOException e) {
        if (Thread.currentThread().isInterrupted()) {
          throw e; // the pull is being stopped (stalled, or its callers gone): no next endpoint
        }
        last = e;
        failures.add(e.getMessage());
        if (endpoint.mirror()) {
          log.warn("mirror failed, trying the next endpoint: {}", e.getMessage());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new RegistryException(RegistryException.Kind.UNAVAILABLE, what + ": interrupted", e);
      }
    }
    if (failures.size() == 1) {
      throw last;
    }
    RegistryException.Kind kind = last instanceof RegistryException r ? r.kind() : RegistryException.Kind.UNAVAILABLE;
    throw new RegistryException(kind, String.join("; ", failures), last);
  }

  private RemoteImage resolveAt(ImageReference ref, RegistrySession session, String what)
      throws IOException, InterruptedException {
    ManifestPuller manifests = new ManifestPuller(session);
    ManifestPuller.Fetched top = wrap(() -> manifests.pull(ref.manifestReference(), what), what);
    ManifestPuller.Fetched chosen = top;
    if (ImageManifest.isIndex(top.bytes(), top.mediaType(), what)) {
      ImageIndex index = ImageIndex.parse(top.bytes(), what + " index");
      Descriptor entry = index.select(platform).orElseThrow(() -> new RegistryException(
          RegistryException.Kind.NOT_FOUND, what + ": no manifest for " + platform + " in the index"));
      chosen = wrap(() -> manifests.pull(entry.digest().toString(), what), what);
    }
    ImageManifest manifest = ImageManifest.parse(chosen.bytes(), chosen.mediaType(), what + " manifest");
    return new RemoteImage(ref, session, top.digest(), chosen.digest(), chosen.bytes(), manifest);
  }

  /** Downloads the blob into the store, which verifies its digest. */
  public void pullBlob(RemoteImage image, Descriptor blob, BlobStore store) throws IOException {
    String what = "pull " + image.reference() + " from " + image.endpoint() + " blob " + blob.digest();
    pullBlob(image, blob, body -> store.write(body, blob.digest(), what));
  }

  /**
   * Downloads the blob into the sink. Failures of the request and of the body's transport name the
   * registry and the reference; the sink's own pass through unchanged.
   */
  public <T> T pullBlob(RemoteImage image, Descriptor blob, BlobSink<T> sink) throws IOException {
    String what = "pull " + image.reference() + " from " + image.endpoint();
    try {
      return new BlobPuller(image.session()).pull(blob, sink, what);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RegistryException(RegistryException.Kind.UNAVAILABLE, what + ": interrupted", e);
    }
  }

  interface Call<T> {
    T run() throws IOException, InterruptedException;
  }

  /** Gives transport failures a message that names the registry and reference. */
  static <T> T wrap(Call<T> call, String what) throws IOException, InterruptedException {
    try {
      return call.run();
    } catch (RegistryException | DigestMismatchException | ManifestException e) {
      throw e;
    } catch (ConnectException e) {
      throw new RegistryException(RegistryException.Kind.UNAVAILABLE, what + ": connection refused", e);
    } catch (HttpTimeoutException e) {
      throw new RegistryException(RegistryException.Kind.UNAVAILABLE, what + ": timed out", e);
    } catch (IOException e) {
      throw new RegistryException(RegistryException.Kind.UNAVAILABLE, what + ": " + e, e);
    }
  }

  static RegistryException statusError(int status, String what) {
    RegistryException.Kind kind = switch (status) {
      case 404 -> RegistryException.Kind.NOT_FOUND;
      case 401, 403 -> RegistryException.Kind.UNAUTHORIZED;
      default -> RegistryException.Kind.UNAVAILABLE;
    };
    return new RegistryException(kind, what + ": HTTP " + status);
  }
}
