package dev.berth.image.archive;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.image.content.ContentGarbageCollector;
import dev.berth.image.content.ImageWriter;
import dev.berth.image.manifest.Descriptor;
import dev.berth.image.manifest.ImageIndex;
import dev.berth.image.manifest.ImageManifest;
import dev.berth.image.manifest.ManifestException;
import dev.berth.image.manifest.MediaTypes;
import dev.berth.image.manifest.Platform;
import dev.berth.image.reference.ImageReference;
import dev.berth.image.reference.InvalidReferenceException;
import dev.berth.image.store.BlobStore;
import dev.berth.image.store.Digest;
import dev.berth.image.store.ImageRecord;
import dev.berth.image.unpack.Decompression;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Imports an OCI image archive (an OCI layout as a tar, from skopeo, buildah, containerd or
 * {@link OciArchiveWriter}) or a {@code docker save} archive. The tar is read once, every file
 * going straight into the blob store: files under {@code blobs/sha256/} are verified against
 * their names, the files of a legacy docker archive are stored under the digest of their
 * content. Only then are the images assembled from the store, never from names in the tar.
 */
public final class ArchiveImporter {

  private static final Logger log = LoggerFactory.getLogger(ArchiveImporter.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_METADATA_BYTES = 16 * 1024 * 1024;

  private final BlobStore blobs;
  private final ImageWriter writer;
  private final ContentGarbageCollector gc;
  private final Platform platform;

  public ArchiveImporter(BlobStore blobs, ImageWriter writer, ContentGarbageCollector gc, Platform platform) {
    this.blobs = blobs;
    this.writer = writer;
    this.gc = gc;
    this.platform = platform;
  }

  public List<ImageRecord> importArchive(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IOException("no archive at " + file);
    }
    String what = "archive " + file;
    Map<String, Digest> files = new HashMap<>();
    byte[] indexJson = null;
    byte[] dockerManifest = null;
    try (ContentGarbageCollector.Lease lease = gc.lease(List.of());
         InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
         TarArchiveInputStream tar = new TarArchiveInputStream(Decompression.tarStream(raw))) {
      TarArchiveEntry entry;
      while ((entry = tar.getNextEntry()) != null) {
        if (!entry.isFile()) {
          continue;
        }
        String name = normalise(entry.getName());
        switch (name) {
          case "index.json" -> indexJson = tar.readNBytes(MAX_METADATA_BYTES);
          case "manifest.json" -> dockerManifest = tar.readNBytes(MAX_METADATA_BYTES);
          case "oci-layout", "repositories" -> { }
          default -> {
            Digest expected = null;
            if (name.startsWith("blobs/sha256/")) {
              try {
                expected = new Digest(name.substring("blobs/sha256/".length()));
              } catch (IllegalArgumentException e) {
                throw new ManifestException(what + ": bad blob name " + name);
              }
            }
            Digest stored = blobs.write(tar, expected, what + " " + name, lease::add);
            files.put(name, stored);
          }
        }
      }
      List<ImageRecord> imported;
      if (indexJson != null) {
        imported = importOci(indexJson, files, what);
      } else if (dockerManifest != null) {
        imported = importDocker(dockerManifest, files, lease, what);
      } else {
        throw new ManifestException(what + ": neither index.json (OCI) nor manifest.json (docker save) in it");
      }
      log.info("imported {} images from {}", imported.size(), file);
      return imported;
    }
  }

  private List<ImageRecord> importOci(byte[] indexJson, Map<String, Digest> files, String what) throws IOException {
    ImageIndex index = ImageIndex.parse(indexJson, what + " index.json");
    Map<Digest, List<String>> names = new java.util.LinkedHashMap<>();
    for (Descriptor d : index.manifests()) {
      List<String> list = names.computeIfAbsent(d.digest(), k -> new ArrayList<>());
      nameOf(d).ifPresent(list::add);
    }
    List<ImageRecord> out = new ArrayList<>();
    for (Map.Entry<Digest, List<String>> e : names.entrySet()) {
      Digest manifestDigest = requireBlob(e.getKey(), what);
      byte[] bytes = blobs.read(manifestDigest);
      Digest top = manifestDigest;
      if (ImageManifest.isIndex(bytes, null, what)) {
        Descriptor chosen = ImageIndex.parse(bytes, what + " nested index").select(platform)
            .orElseThrow(() -> new ManifestException(what + ": no manifest for " + platform));
        manifestDigest = requireBlob(chosen.digest(), what);
        bytes = blobs.read(manifestDigest);
      }
      ImageManifest manifest = ImageManifest.parse(bytes, null, what + " manifest " + manifestDigest);
      requireBlob(manifest.config().digest(), what);
      for (Descriptor layer : manifest.layers()) {
        requireBlob(layer.digest(), what);
      }
      List<String> tags = new ArrayList<>();
      List<String> digests = new ArrayList<>();
      for (String name : e.getValue()) {
        ImageReference ref = ImageReference.parse(name);
        ref.tagged().ifPresent(tags::add);
        digests.add(ref.repository() + "@" + top);
      }
      out.add(writer.commit(manifestDigest, manifest, tags, digests.stream().distinct().toList(), what));
    }
    return out;
  }

  /** The full name an index entry carries, if any; a bare OCI tag ("latest") names no repository. */
  private static Optional<String> nameOf(Descriptor d) {
    for (String key : List.of("io.containerd.image.name", "org.opencontainers.image.ref.name")) {
      String value = d.annotations().get(key);
      if (value != null && value.contains("/")) {
        try {
          return Optional.of(ImageReference.parse(value).toString());
        } catch (InvalidReferenceException e) {
          log.warn("ignoring image name {}: {}", value, e.getMessage());
        }
      }
    }
    return Optional.empty();
  }

  private List<ImageRecord> importDocker(byte[] manifestJson, Map<String, Digest> files,
      ContentGarbageCollector.Lease lease, String what) throws IOException {
    JsonNode entries = JSON.readTree(manifestJson);
    if (!entries.isArray()) {
      throw new ManifestException(what + ": manifest.json is not a list");
    }
    List<ImageRecord> out = new ArrayList<>();
    for (JsonNode entry : entries) {
      Digest config = fileDigest(files, entry.path("Config").asText(), what);
      ObjectNode manifest = JSON.createObjectNode();
      manifest.put("schemaVersion", 2);
      manifest.put("mediaType", MediaTypes.DOCKER_MANIFEST);
      ObjectNode cd = manifest.putObject("config");
      cd.put("mediaType", MediaTypes.DOCKER_CONFIG);
      cd.put("digest", config.toString());
      cd.put("size", blobs.size(config));
      var layers = manifest.putArray("layers");
      for (JsonNode layer : entry.path("Layers")) {
        Digest d = fileDigest(files, layer.asText(), what);
        ObjectNode ld = layers.addObject();
        ld.put("mediaType", isCompressed(d) ? MediaTypes.DOCKER_LAYER_GZIP : MediaTypes.DOCKER_LAYER);
        ld.put("digest", d.toString());
        ld.put("size", blobs.size(d));
      }
      byte[] bytes = JSON.writeValueAsBytes(manifest);
      // docker save keeps no manifest; this one is Berth's, so the image gets no repo digest.
      Digest manifestDigest = blobs.write(new java.io.ByteArrayInputStream(bytes), null, what + " manifest", lease::add);
      List<String> tags = new ArrayList<>();
      for (JsonNode tag : entry.path("RepoTags")) {
        tags.add(ImageReference.parse(tag.asText()).toString());
      }
      out.add(writer.commit(manifestDigest, ImageManifest.parse(bytes, MediaTypes.DOCKER_MANIFEST, what), tags,
          List.of(), what));
    }
    return out;
  }

  private boolean isCompressed(Digest blob) throws IOException {
    try (InputStream in = blobs.open(blob)) {
      byte[] magic = in.readNBytes(2);
      return magic.length == 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b;
    }
  }

  private Digest fileDigest(Map<String, Digest> files, String name, String what) throws ManifestException {
    Digest d = files.get(normalise(name));
    if (d == null) {
      throw new ManifestException(what + ": manifest.json names " + name + ", which is not in the archive");
    }
    return d;
  }

  private Digest requireBlob(Digest d, String what) throws ManifestException {
    if (!blobs.contains(d)) {
      throw new ManifestException(what + ": blob " + d + " is missing");
    }
    return d;
  }

  private static String normalise(String name) {
    String n = name;
    while (n.startsWith("./")) {
      n = n.substring(2);
    }
    return n.startsWith("/") ? n.substring(1) : n;
  }
}
