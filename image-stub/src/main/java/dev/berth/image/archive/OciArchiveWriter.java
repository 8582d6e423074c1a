package dev.berth.image.archive;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.image.reference.ImageReference;
import dev.berth.image.store.Digest;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Writes an OCI image layout as a tar (an "OCI archive"), with a Docker {@code manifest.json}
 * beside it as docker 25 does, so that both skopeo/containerd and {@code docker load} read it.
 * Blobs are added first, then the images that refer to them; the index is written on close.
 */
public final class OciArchiveWriter implements Closeable {

  /** Opens a blob's content; called once per blob. */
  @FunctionalInterface
  public interface BlobSource {
    InputStream open() throws IOException;
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  private final TarArchiveOutputStream tar;
  private final Set<Digest> written = new HashSet<>();
  private final List<ArchiveImage> images = new ArrayList<>();

  public OciArchiveWriter(OutputStream out) throws IOException {
    this.tar = new TarArchiveOutputStream(out);
    tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
    tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
    writeFile("oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8));
    writeDir("blobs/");
    writeDir("blobs/sha256/");
  }

  public void addBlob(Digest digest, long size, BlobSource source) throws IOException {
    if (!written.add(digest)) {
      return;
    }
    TarArchiveEntry entry = new TarArchiveEntry("blobs/sha256/" + digest.hex());
    entry.setSize(size);
    entry.setMode(0644);
    tar.putArchiveEntry(entry);
    try (InputStream in = source.open()) {
      long copied = in.transferTo(tar);
      if (copied != size) {
        throw new IOException("blob " + digest + " has " + copied + " bytes, expected " + size);
      }
    }
    tar.closeArchiveEntry();
  }

  public void addImage(ArchiveImage image) throws IOException {
    for (Digest d : image.layers()) {
      requireWritten(d);
    }
    requireWritten(image.config());
    requireWritten(image.manifest());
    images.add(image);
  }

  private void requireWritten(Digest d) throws IOException {
    if (!written.contains(d)) {
      throw new IOException("blob " + d + " must be added before the image that uses it");
    }
  }

  @Override
  public void close() throws IOException {
    ObjectNode index = JSON.createObjectNode();
    index.put("schemaVersion", 2);
    index.put("mediaType", "application/vnd.oci.image.index.v1+json");
    ArrayNode manifests = index.putArray("manifests");
    ArrayNode docker = JSON.createArrayNode();
    for (ArchiveImage image : images) {
      List<String> names = image.names().isEmpty() ? java.util.Collections.singletonList(null) : image.names();
      for (String name : names) {
        ObjectNode m = manifests.addObject();
        m.put("mediaType", image.manifestMediaType());
        m.put("digest", image.manifest().toString());
        m.put("size", image.manifestSize());
        if (name != null) {
          ObjectNode annotations = m.putObject("annotations");
          // containerd reads the full name; OCI tools (skopeo oci-archive:FILE:TAG) the tag.
          annotations.put("io.containerd.image.name", name);
          ImageReference ref = ImageReference.parse(name);
          annotations.put("org.opencontainers.image.ref.name", ref.tag() != null ? ref.tag() : name);
        }
      }
      ObjectNode d = docker.addObject();
      d.put("Config", "blobs/sha256/" + image.config().hex());
      ArrayNode tags = d.putArray("RepoTags");
      image.names().stream().filter(n -> ImageReference.parse(n).tag() != null && ImageReference.parse(n).digest() == null)
          .forEach(tags::add);
      ArrayNode layers = d.putArray("Layers");
      image.layers().forEach(l -> layers.add("blobs/sha256/" + l.hex()));
    }
    writeFile("index.json", JSON.writeValueAsBytes(index));
    writeFile("manifest.json", JSON.writeValueAsBytes(docker));
    tar.finish();
    tar.close();
  }

  private void writeFile(String name, byte[] content) throws IOException {
    TarArchiveEntry entry = new TarArchiveEntry(name);
    entry.setSize(content.length);
    entry.setMode(0644);
    tar.putArchiveEntry(entry);
    tar.write(content);
    tar.closeArchiveEntry();
  }

  private void writeDir(String name) throws IOException {
    TarArchiveEntry entry = new TarArchiveEntry(name);
    entry.setMode(0755);
    tar.putArchiveEntry(entry);
    tar.closeArchiveEntry();
  }
}
