package dev.berth.image.archive;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.image.manifest.MediaTypes;
import dev.berth.image.manifest.Platform;
import dev.berth.image.reference.ImageReference;
import dev.berth.image.store.Digest;
import dev.berth.image.store.DigestingInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

/**
 * Builds a one-layer OCI image archive from a directory of host files, for tests, the demo and
 * the runtime's own images (a busybox rootfs, a catatonit pause image):
 * <pre>{@code
 * ImageArchiveBuilder.fromDirectory(rootfs).name("docker.io/library/busybox:latest")
 *     .cmd(List.of("sh")).env(List.of("PATH=/bin")).writeTo(archive);
 * }</pre>
 */
public final class ImageArchiveBuilder {

  /** What was written: the manifest digest (a repo digest names it) and the image ID. */
  public record BuiltImage(Digest manifest, Digest config, Digest layerBlob, Digest diffId) {
    public String imageId() {
      return config.toString();
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path rootfs;
  private final List<String> names = new ArrayList<>();
  private List<String> entrypoint = List.of();
  private List<String> cmd = List.of();
  private List<String> env = List.of("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  private String workingDir = "";
  private String user = "";
  private String stopSignal = "";
  private final Map<String, String> labels = new LinkedHashMap<>();
  private boolean gzip = true;

  private ImageArchiveBuilder(Path rootfs) {
    this.rootfs = rootfs;
  }

  public static ImageArchiveBuilder fromDirectory(Path rootfs) {
    return new ImageArchiveBuilder(rootfs);
  }

  /** A full or short reference (normalised: {@code busybox} is {@code docker.io/library/busybox:latest}). */
  public ImageArchiveBuilder name(String reference) {
    names.add(ImageReference.parse(reference).toString());
    return this;
  }

  public ImageArchiveBuilder entrypoint(List<String> value) {
    entrypoint = List.copyOf(value);
    return this;
  }

  public ImageArchiveBuilder cmd(List<String> value) {
    cmd = List.copyOf(value);
    return this;
  }

  public ImageArchiveBuilder env(List<String> value) {
    env = List.copyOf(value);
    return this;
  }

  public ImageArchiveBuilder workingDir(String value) {
    workingDir = value;
    return this;
  }

  public ImageArchiveBuilder user(String value) {
    user = value;
    return this;
  }

  public ImageArchiveBuilder stopSignal(String value) {
    stopSignal = value;
    return this;
  }

  public ImageArchiveBuilder label(String key, String value) {
    labels.put(key, value);
    return this;
  }

  /** Plain tar layers instead of gzip (faster for big test trees). */
  public ImageArchiveBuilder gzip(boolean value) {
    gzip = value;
    return this;
  }

  public BuiltImage writeTo(Path archive) throws IOException {
    Path dir = archive.toAbsolutePath().getParent();
    Path tarFile = Files.createTempFile(dir, ".layer-", ".tar");
    Path blobFile = gzip ? Files.createTempFile(dir, ".layer-", ".tar.gz") : tarFile;
    try {
      try (OutputStream out = Files.newOutputStream(tarFile)) {
        LayerTarWriter.write(rootfs, out);
      }
      Digest diffId = digestOf(tarFile);
      if (gzip) {
        try (OutputStream out = new GzipCompressorOutputStream(Files.newOutputStream(blobFile))) {
          Files.copy(tarFile, out);
        }
      }
      Digest layerBlob = digestOf(blobFile);
      long layerSize = Files.size(blobFile);

      Platform platform = Platform.host();
      ObjectNode config = JSON.createObjectNode();
      config.put("created", "1970-01-01T00:00:00Z");
      config.put("architecture", platform.architecture());
      config.put("os", platform.os());
      ObjectNode c = config.putObject("config");
      if (!user.isEmpty()) {
        c.put("User", user);
      }
      c.set("Env", JSON.valueToTree(env));
      if (!entrypoint.isEmpty()) {
        c.set("Entrypoint", JSON.valueToTree(entrypoint));
      }
      if (!cmd.isEmpty()) {
        c.set("Cmd", JSON.valueToTree(cmd));
      }
      if (!workingDir.isEmpty()) {
        c.put("WorkingDir", workingDir);
      }
      if (!stopSignal.isEmpty()) {
        c.put("StopSignal", stopSignal);
      }
      if (!labels.isEmpty()) {
        c.set("Labels", JSON.valueToTree(labels));
      }
      ObjectNode rootfsNode = config.putObject("rootfs");
      rootfsNode.put("type", "layers");
      rootfsNode.putArray("diff_ids").add(diffId.toString());
      byte[] configBytes = JSON.writeValueAsBytes(config);
      Digest configDigest = Digest.of(configBytes);

      ObjectNode manifest = JSON.createObjectNode();
      manifest.put("schemaVersion", 2);
      manifest.put("mediaType", MediaTypes.OCI_MANIFEST);
      ObjectNode cd = manifest.putObject("config");
      cd.put("mediaType", MediaTypes.OCI_CONFIG);
      cd.put("digest", configDigest.toString());
      cd.put("size", configBytes.length);
      ObjectNode ld = manifest.putArray("layers").addObject();
      ld.put("mediaType", gzip ? MediaTypes.OCI_LAYER_GZIP : MediaTypes.OCI_LAYER);
      ld.put("digest", layerBlob.toString());
      ld.put("size", layerSize);
      byte[] manifestBytes = JSON.writeValueAsBytes(manifest);
      Digest manifestDigest = Digest.of(manifestBytes);

      try (OciArchiveWriter writer = new OciArchiveWriter(Files.newOutputStream(archive))) {
        writer.addBlob(layerBlob, layerSize, () -> Files.newInputStream(blobFile));
        writer.addBlob(configDigest, configBytes.length, () -> new ByteArrayInputStream(configBytes));
        writer.addBlob(manifestDigest, manifestBytes.length, () -> new ByteArrayInputStream(manifestBytes));
        writer.addImage(new ArchiveImage(manifestDigest, MediaTypes.OCI_MANIFEST, manifestBytes.length, configDigest,
            List.of(layerBlob), names));
      }
      return new BuiltImage(manifestDigest, configDigest, layerBlob, diffId);
    } finally {
      Files.deleteIfExists(tarFile);
      Files.deleteIfExists(blobFile);
    }
  }

  private static Digest digestOf(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      DigestingInputStream d = new DigestingInputStream(in);
      d.drain();
      return d.digest();
    }
  }
}
