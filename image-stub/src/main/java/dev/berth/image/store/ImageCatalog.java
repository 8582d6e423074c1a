package dev.berth.image.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.image.reference.ImageReference;
import dev.berth.image.reference.InvalidReferenceException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The images of the store with their names, served from memory and persisted on every change as
 * one JSON file written atomically; the kubelet lists images every few seconds, so no call
 * parses anything. The file is a {@link RecordFormat} record {@code {"formatVersion": 1,
 * "images": [...]}}; format 0 was the bare list.
 */
public final class ImageCatalog {

  private static final Logger log = LoggerFactory.getLogger(ImageCatalog.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** What the file holds. */
  record CatalogFile(List<ImageRecord> images) {}

  private final Path file;
  private final Map<String, ImageRecord> images = new LinkedHashMap<>();

  private ImageCatalog(Path file) {
    this.file = file;
  }

  public static ImageCatalog load(Path file) throws IOException {
    ImageCatalog catalog = new ImageCatalog(file);
    if (Files.exists(file)) {
      List<ImageRecord> records;
      try {
        records = read(file);
      } catch (JsonProcessingException e) {
        return setAside(catalog, file, e.getOriginalMessage());
      }
      if (records == null || records.contains(null)) {
        return setAside(catalog, file, "not a list of images");
      }
      for (ImageRecord r : records) {
        catalog.images.put(r.id(), r);
      }
      log.info("loaded {} images from {}", records.size(), file);
    }
    return catalog;
  }

  /**
   * The images of any known format.
   *
   * @throws RecordFormat.NewerFormatException when a newer Berth wrote the file: it is left as it
   *     is and the store does not open, rather than set aside and forgotten
   */
  private static List<ImageRecord> read(Path file) throws IOException {
    JsonNode tree = JSON.readTree(Files.readAllBytes(file));
    if (tree != null && tree.isArray()) {
      // Format 0: the list itself.
      ObjectNode fields = JSON.createObjectNode();
      fields.set("images", tree);
      tree = fields;
    }
    if (tree == null || !tree.isObject()) {
      return null;
    }
    // Read before the shape is judged: a newer format's file is refused, never set aside.
    List<ImageRecord> images = RecordFormat.read(file, tree, CatalogFile.class).images();
    return tree.path("images").isArray() ? images : null;
  }

  /**
   * A catalog that cannot be read must not keep the daemon (and every running pod's management)
   * down: it is moved aside for the operator and the store starts empty. Images are pulled again
   * on demand; running containers keep their mounted layers, which stay in use.
   */
  private static ImageCatalog setAside(ImageCatalog empty, Path file, String why) throws IOException {
    Path aside = file.resolveSibling(file.getFileName() + ".corrupt-" + System.currentTimeMillis());
    Files.move(file, aside);
    log.error("image catalog {} is unreadable ({}); moved to {}; starting with no images, pull them again",
        file, why, aside);
    return empty;
  }

  public synchronized List<ImageRecord> all() {
    return List.copyOf(images.values());
  }

  public synchronized Optional<ImageRecord> byId(String id) {
    return Optional.ofNullable(images.get(id));
  }

  /**
   * Finds an image by ID ({@code sha256:...}, or a unique hex prefix of at least 12 digits as
   * crictl prints them), by normalised reference (tag or {@code repo@digest}).
   *
   * @throws InvalidReferenceException when the text is neither an ID nor a valid reference
   */
  public synchronized Optional<ImageRecord> find(String text) {
    if (ImageReference.isImageId(text)) {
      ImageRecord byId = images.get(text);
      if (byId != null) {
        return Optional.of(byId);
      }
    }
    if (text.matches("[a-f0-9]{12,64}")) {
      List<ImageRecord> matches = images.values().stream().filter(r -> r.id().startsWith("sha256:" + text)).toList();
      if (matches.size() == 1) {
        return Optional.of(matches.getFirst());
      }
    }
    if (ImageReference.isImageId(text)) {
      return Optional.empty();
    }
    ImageReference ref = ImageReference.parse(text);
    if (ref.digest() != null) {
      String digested = ref.digested().orElseThrow();
      return images.values().stream().filter(r -> r.repoDigests().contains(digested)).findFirst();
    }
    String tagged = ref.tagged().orElseThrow();
    return images.values().stream().filter(r -> r.repoTags().contains(tagged)).findFirst();
  }

  /**
   * Records an image, or adds names to the one already recorded. A tag names one image only, so
   * it moves here from whichever image held it before (that image stays, untagged, for the
   * kubelet's garbage collector to find).
   */
  public synchronized ImageRecord put(ImageRecord image) throws IOException {
    ImageRecord old = images.get(image.id());
    Set<String> tags = new LinkedHashSet<>(old == null ? List.of() : old.repoTags());
    tags.addAll(image.repoTags());
    Set<String> digests = new LinkedHashSet<>(old == null ? List.of() : old.repoDigests());
    digests.addAll(image.repoDigests());
    ImageRecord merged = (old == null ? image : old).withNames(List.copyOf(tags), List.copyOf(digests));
    Map<String, ImageRecord> next = new LinkedHashMap<>(images);
    for (ImageRecord other : images.values()) {
      if (!other.id().equals(image.id()) && other.repoTags().stream().anyMatch(tags::contains)) {
        List<String> kept = other.repoTags().stream().filter(t -> !tags.contains(t)).toList();
        next.put(other.id(), other.withNames(kept, other.repoDigests()));
      }
    }
    next.put(merged.id(), merged);
    persist(next.values());
    images.clear();
    images.putAll(next);
    return merged;
  }

  /** Forgets the image; returns it, or empty when it was not there. */
  public synchronized Optional<ImageRecord> remove(String id) throws IOException {
    if (!images.containsKey(id)) {
      return Optional.empty();
    }
    Map<String, ImageRecord> next = new LinkedHashMap<>(images);
    ImageRecord gone = next.remove(id);
    persist(next.values());
    images.remove(id);
    return Optional.of(gone);
  }

  private void persist(Collection<ImageRecord> records) throws IOException {
    AtomicFiles.write(file, RecordFormat.write(new CatalogFile(new ArrayList<>(records))));
  }
}
