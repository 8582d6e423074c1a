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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/** An OCI image archive whose only layer holds one file under a name that leaves the layer's directory. */
final class EscapingArchive {

  private static final ObjectMapper JSON = new ObjectMapper();

  private EscapingArchive() {}

  static Path write(Path archive, String entryName) throws IOException {
    byte[] layer = layer(entryName);
    Digest layerDigest = Digest.of(layer);
    ObjectNode config = JSON.createObjectNode();
    config.put("architecture", "amd64").put("os", "linux");
    config.putObject("rootfs").put("type", "layers").putArray("diff_ids").add(layerDigest.toString());
    byte[] configBytes = JSON.writeValueAsBytes(config);
    Digest configDigest = Digest.of(configBytes);
    ObjectNode manifest = JSON.createObjectNode();
    manifest.put("schemaVersion", 2).put("mediaType", MediaTypes.OCI_MANIFEST);
    manifest.putObject("config").put("mediaType", MediaTypes.OCI_CONFIG).put("digest", configDigest.toString())
        .put("size", configBytes.length);
    manifest.putArray("layers").addObject().put("mediaType", MediaTypes.OCI_LAYER).put("digest", layerDigest.toString())
        .put("size", layer.length);
    byte[] manifestBytes = JSON.writeValueAsBytes(manifest);
    Digest manifestDigest = Digest.of(manifestBytes);
    try (OciArchiveWriter writer = new OciArchiveWriter(Files.newOutputStream(archive))) {
      writer.addBlob(layerDigest, layer.length, () -> new ByteArrayInputStream(layer));
      writer.addBlob(configDigest, configBytes.length, () -> new ByteArrayInputStream(configBytes));
      writer.addBlob(manifestDigest, manifestBytes.length, () -> new ByteArrayInputStream(manifestBytes));
      writer.addImage(new ArchiveImage(manifestDigest, MediaTypes.OCI_MANIFEST, manifestBytes.length, configDigest,
          List.of(layerDigest), List.of("docker.io/library/escaping:berth-test")));
    }
    return archive;
  }

  private static byte[] layer(String entryName) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
      byte[] content = "escaped\n".getBytes(StandardCharsets.UTF_8);
      // TarArchiveEntry normalises names; the escaping name must reach the tar as written.
      TarArchiveEntry entry = new TarArchiveEntry(entryName, true);
      entry.setSize(content.length);
      entry.setMode(0100644);
      tar.putArchiveEntry(entry);
      tar.write(content);
      tar.closeArchiveEntry();
    }
    return bytes.toByteArray();
  }
}
