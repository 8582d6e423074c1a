package dev.berth.bench.registry;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/**
 * Pushes an image with the registry HTTP API: a monolithic upload per blob (POST, then PUT with
 * the digest), then the manifest under its tag.
 */
public final class ImagePusher {

  private final HttpClient http = HttpClient.newHttpClient();
  private final URI base;

  public ImagePusher(URI base) {
    this.base = base;
  }

  public void push(String repository, String tag, RandomImage.Built image) throws IOException, InterruptedException {
    for (RandomImage.Blob layer : image.layers()) {
      pushBlob(repository, layer);
    }
    pushBlob(repository, image.config());
    HttpRequest manifest = HttpRequest.newBuilder(base.resolve("/v2/" + repository + "/manifests/" + tag))
        .header("Content-Type", MediaTypes.MANIFEST)
        .PUT(HttpRequest.BodyPublishers.ofByteArray(image.manifest())).build();
    expect(http.send(manifest, HttpResponse.BodyHandlers.ofString()), 201, "manifest");
  }

  private void pushBlob(String repository, RandomImage.Blob blob) throws IOException, InterruptedException {
    HttpRequest start = HttpRequest.newBuilder(base.resolve("/v2/" + repository + "/blobs/uploads/"))
        .POST(HttpRequest.BodyPublishers.noBody()).build();
    HttpResponse<String> started = expect(http.send(start, HttpResponse.BodyHandlers.ofString()), 202, "upload start");
    String location = started.headers().firstValue("Location")
        .orElseThrow(() -> new IOException("registry gave no upload Location"));
    URI upload = base.resolve(location + (location.contains("?") ? "&" : "?") + "digest=" + blob.digest());
    HttpRequest put = HttpRequest.newBuilder(upload).header("Content-Type", "application/octet-stream")
        .PUT(HttpRequest.BodyPublishers.ofFile(blob.file())).build();
    expect(http.send(put, HttpResponse.BodyHandlers.ofString()), 201, "blob " + blob.digest());
  }

  private static HttpResponse<String> expect(HttpResponse<String> response, int status, String what) throws IOException {
    if (response.statusCode() != status) {
      throw new IOException("push of " + what + ": HTTP " + response.statusCode() + " " + response.body());
    }
    return response;
  }
}
