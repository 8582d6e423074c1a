package dev.berth.runtime.security;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.image.archive.ArchiveImage;
import dev.berth.image.archive.OciArchiveWriter;
import dev.berth.image.manifest.MediaTypes;
import dev.berth.image.store.Digest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

/**
 * OCI image archives of one layer written entry by entry, as an attacker would: a directory then
 * a symlink of the same name, FIFOs, a layer that unpacks to far more than its size.
 */
final class HostileLayerArchive {

  static final Instant LAYER_TIME = Instant.parse("2031-01-01T00:00:00Z");
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One layer's blob (gzip) and the digest of its uncompressed tar. */
  record Layer(byte[] blob, Digest diffId) {}

  @FunctionalInterface
  interface Entries {
    void write(TarArchiveOutputStream tar) throws IOException;
  }

  private HostileLayerArchive() {}

  static Layer layer(Entries entries) throws IOException {
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    try (GzipCompressorOutputStream zip = new GzipCompressorOutputStream(gz);
         OutputStream digesting = new DigestOutputStream(zip, sha);
         TarArchiveOutputStream tar = new TarArchiveOutputStream(digesting)) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      entries.write(tar);
      tar.finish();
    }
    return new Layer(gz.toByteArray(), new Digest(HexFormat.of().formatHex(sha.digest())));
  }

  /** A directory whose mode has the set-id bits, owned by root, with an xattr and a time of the layer's. */
  static void directory(TarArchiveOutputStream tar, String name) throws IOException {
    TarArchiveEntry e = new TarArchiveEntry(name + "/");
    e.setMode(046777);
    e.setUserId(0);
    e.setGroupId(0);
    e.setLastModifiedTime(FileTime.from(LAYER_TIME));
    e.addPaxHeader("SCHILY.xattr.trusted.berth-test", "from-layer");
    tar.putArchiveEntry(e);
    tar.closeArchiveEntry();
  }

  static void symlink(TarArchiveOutputStream tar, String name, String target) throws IOException {
    TarArchiveEntry e = new TarArchiveEntry(name, TarArchiveEntry.LF_SYMLINK, true);
    e.setLinkName(target);
    e.setLastModifiedTime(FileTime.from(LAYER_TIME));
    tar.putArchiveEntry(e);
    tar.closeArchiveEntry();
  }

  static void fifo(TarArchiveOutputStream tar, String name) throws IOException {
    TarArchiveEntry e = new TarArchiveEntry(name, TarArchiveEntry.LF_FIFO, true);
    e.setMode(0644);
    e.setLastModifiedTime(FileTime.from(LAYER_TIME));
    tar.putArchiveEntry(e);
    tar.closeArchiveEntry();
  }

  /** A file of {@code size} zero bytes: megabytes of it compress to a few kilobytes. */
  static void zeros(TarArchiveOutputStream tar, String name, long size) throws IOException {
    TarArchiveEntry e = new TarArchiveEntry(name);
    e.setMode(0644);
    e.setSize(size);
    tar.putArchiveEntry(e);
    byte[] chunk = new byte[(int) Math.min(size, 1 << 20)];
    for (long left = size; left > 0; left -= chunk.length) {
      tar.write(chunk, 0, (int) Math.min(chunk.length, left));
    }
    tar.closeArchiveEntry();
  }

  /** Writes an OCI archive of one image named {@code reference}; its config states {@code diffId}. */
  static Path write(Path archive, String reference, Layer layer, Digest diffId) throws IOException {
    return write(archive, reference, List.of(layer), List.of(diffId));
  }

  /** Writes an OCI archive of one image of these layers, bottom first; its config states {@code diffIds}. */
  static Path write(Path archive, String reference, List<Layer> layers, List<Digest> diffIds) throws IOException {
    ObjectNode config = JSON.createObjectNode();
    config.put("architecture", "amd64").put("os", "linux");
    var diffIdArray = config.putObject("rootfs").put("type", "layers").putArray("diff_ids");
    diffIds.forEach(d -> diffIdArray.add(d.toString()));
    byte[] configBytes = JSON.writeValueAsBytes(config);
    Digest configDigest = Digest.of(configBytes);
    ObjectNode manifest = JSON.createObjectNode();
    manifest.put("schemaVersion", 2).put("mediaType", MediaTypes.OCI_MANIFEST);
    manifest.putObject("config").put("mediaType", MediaTypes.OCI_CONFIG).put("digest", configDigest.toString())
        .put("size", configBytes.length);
    var layerArray = manifest.putArray("layers");
    for (Layer layer : layers) {
      layerArray.addObject().put("mediaType", MediaTypes.OCI_LAYER_GZIP)
          .put("digest", Digest.of(layer.blob()).toString()).put("size", layer.blob().length);
    }
    byte[] manifestBytes = JSON.writeValueAsBytes(manifest);
    Digest manifestDigest = Digest.of(manifestBytes);
    try (OciArchiveWriter writer = new OciArchiveWriter(Files.newOutputStream(archive))) {
      for (Layer layer : layers) {
        writer.addBlob(Digest.of(layer.blob()), layer.blob().length, () -> new ByteArrayInputStream(layer.blob()));
      }
      writer.addBlob(configDigest, configBytes.length, () -> new ByteArrayInputStream(configBytes));
      writer.addBlob(manifestDigest, manifestBytes.length, () -> new ByteArrayInputStream(manifestBytes));
      writer.addImage(new ArchiveImage(manifestDigest, MediaTypes.OCI_MANIFEST, manifestBytes.length, configDigest,
          layers.stream().map(l -> Digest.of(l.blob())).toList(), List.of(reference)));
    }
    return archive;
  }
}
