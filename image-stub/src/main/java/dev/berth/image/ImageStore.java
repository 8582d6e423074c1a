package dev.berth.image;

import dev.berth.image.store.PrivateDirectory;
import dev.berth.image.archive.ArchiveExporter;
import dev.berth.image.archive.ArchiveImporter;
import dev.berth.image.content.ContentGarbageCollector;
import dev.berth.image.content.ImageConfigs;
import dev.berth.image.content.ImageWriter;
import dev.berth.image.cri.ImageBackend;
import dev.berth.image.cri.ImageCriService;
import dev.berth.image.cri.ImageInUseException;
import dev.berth.image.cri.ImagesAdminService;
import dev.berth.image.manifest.ImageConfig;
import dev.berth.image.manifest.Platform;
import dev.berth.image.pull.ImagePuller;
import dev.berth.image.reference.ImageReference;
import dev.berth.image.reference.InvalidReferenceException;
import dev.berth.image.registry.EndpointResolver;
import dev.berth.image.registry.RegistryClient;
import dev.berth.image.registry.RegistryCredentials;
import dev.berth.linux.MountTable;
import dev.berth.image.snapshot.OverlaySnapshotter;
import dev.berth.image.snapshot.LayerPaths;
import dev.berth.image.snapshot.UpperDirSeed;
import dev.berth.image.store.AtomicFiles;
import dev.berth.image.store.BlobStore;
import dev.berth.image.store.Digest;
import dev.berth.image.store.ImageCatalog;
import dev.berth.image.store.ImageRecord;
import dev.berth.image.store.LayerRecord;
import dev.berth.image.store.StoreUsage;
import dev.berth.image.unpack.FileTrees;
import dev.berth.image.unpack.LayerStore;
import io.grpc.BindableService;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's image store, and the one object the daemon talks to about images. Layout under the
 * root:
 * <pre>
 *   images.json            the catalog: images, tags, repo digests (written atomically)
 *   blobs/sha256/HEX       manifests, configs, layer blobs, named by their verified digest
 *   layers/HEX             each layer unpacked once, by diffID (overlayfs whiteouts)
 *   containers/ID/         upper and work dir and snapshot.json of a container's rootfs
 *   tmp/                   downloads in progress; emptied at open
 * </pre>
 */
public final class ImageStore implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ImageStore.class);

  private final Path root;
  private final ImageCatalog catalog;
  private final BlobStore blobs;
  private final LayerStore layers;
  private final OverlaySnapshotter snapshots;
  private final ContentGarbageCollector gc;
  private final ImagePuller puller;
  private final ArchiveImporter importer;
  private final ArchiveExporter exporter;
  private final StoreUsage storeUsage;
  private final ImageConfigs configs;
  private final Backend backend = new Backend();

  private ImageStore(Path root, RegistryHosts hosts, long maxLayerUnpackedBytes) throws IOException {
    this.root = root;
    this.storeUsage = new StoreUsage(root, java.time.Duration.ofSeconds(5));
    Path tmp = root.resolve("tmp");
    FileTrees.deleteRecursively(tmp); // downloads of interrupted pulls
    this.blobs = new BlobStore(root.resolve("blobs").resolve("sha256"), tmp);
    this.layers = new LayerStore(root.resolve("layers"), blobs, maxLayerUnpackedBytes);
    layers.sweepTemps();
    sweepTempFiles(root);
    this.catalog = ImageCatalog.load(root.resolve("images.json"));
    this.snapshots = new OverlaySnapshotter(root.resolve("containers"), layers);
    this.gc = new ContentGarbageCollector(catalog, blobs, layers, snapshots);
    this.configs = new ImageConfigs(blobs);
    ImageWriter writer = new ImageWriter(blobs, layers, catalog, gc, configs);
    Platform platform = Platform.host();
    this.puller = new ImagePuller(new RegistryClient(new EndpointResolver(hosts.mirrors(), hosts.plainHttpHosts()),
        platform), blobs, layers, writer, gc, hosts.pullProgressTimeout());
    this.importer = new ArchiveImporter(blobs, writer, gc, platform);
    this.exporter = new ArchiveExporter(blobs);
    // Blobs that an interrupted pull had stored but no image came to use.
    gc.collect();
  }

  /** Opens (creating when missing) the store at root, e.g. {@code <berth root>/images}; no cap on layer sizes. */
  public static ImageStore open(Path root, RegistryHosts hosts) throws IOException {
    return open(root, hosts, 0);
  }

  /**
   * Opens the store; a layer whose files add up to more than {@code maxLayerUnpackedBytes} is
   * refused (0: no cap).
   */
  public static ImageStore open(Path root, RegistryHosts hosts, long maxLayerUnpackedBytes) throws IOException {
    Path abs = root.toAbsolutePath().normalize();
    // overlayfs separates lower dirs with ':' and options with ','; such a root could not be mounted.
    if (abs.toString().contains(":") || abs.toString().contains(",")) {
      throw new IOException("image store root " + abs + " must not contain ':' or ','");
    }
    PrivateDirectory.create(abs);
    return new ImageStore(abs, hosts, maxLayerUnpackedBytes);
  }

  public BindableService criService() {
    return new ImageCriService(backend);
  }

  public BindableService adminService() {
    return new ImagesAdminService(backend);
  }

  /**
   * Finds an image by normalised reference, image ID ({@code sha256:...}) or repo digest.
   *
   * @throws InvalidReferenceException (unchecked) when the text is not a valid reference
   */
  public ResolvedImage resolve(String reference) throws ImageNotFoundException {
    ImageRecord image = catalog.find(reference).orElseThrow(() -> new ImageNotFoundException(reference));
    try {
      ImageConfig c = backend.config(image);
      return new ResolvedImage(image.id(), image.repoTags(), image.repoDigests(),
          new ImageRuntimeConfig(c.entrypoint(), c.cmd(), c.env(), c.workingDir(), c.user(), c.stopSignal(), c.labels()));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("config of image " + image.id() + " unreadable", e);
    }
  }

  /**
   * Mounts the container's rootfs at mountpoint: overlayfs of the image's unpacked layers
   * (read-only) plus an upper and work dir per container kept under the store. Idempotent
   * (re-mounts after a reboot, keeps the upper dir).
   */
  public void mountRootfs(String containerId, String imageId, Path mountpoint) throws IOException {
    mountRootfs(containerId, imageId, mountpoint, UpperDirSeed.NONE);
  }

  /** As {@link #mountRootfs(String, String, Path)}; {@code seed} fills the upper dir before its first mount. */
  public void mountRootfs(String containerId, String imageId, Path mountpoint, UpperDirSeed seed) throws IOException {
    mountRootfs(containerId, imageId, mountpoint, seed, LayerPaths.AS_THEY_ARE);
  }

  /**
   * As {@link #mountRootfs(String, String, Path)}, the overlay reaching the layers and the
   * container's own directories through {@code paths} (such as idmapped mounts of them).
   */
  public void mountRootfs(String containerId, String imageId, Path mountpoint, LayerPaths paths) throws IOException {
    mountRootfs(containerId, imageId, mountpoint, UpperDirSeed.NONE, paths);
  }

  private void mountRootfs(String containerId, String imageId, Path mountpoint, UpperDirSeed seed, LayerPaths paths)
      throws IOException {
    ImageRecord image = catalog.byId(imageId).or(() -> catalog.find(imageId))
        .orElseThrow(() -> new IOException("image " + imageId + " not found for container " + containerId));
    List<Digest> diffIds = image.layers().stream().map(LayerRecord::diffId).toList();
    try (ContentGarbageCollector.Lease lease = gc.lease(diffIds)) {
      for (LayerRecord layer : image.layers()) {
        layers.ensureUnpacked(layer);
      }
      snapshots.mount(containerId, image.id(), diffIds, mountpoint, seed, paths);
    }
  }

  /**
   * Mounts an image read-only at mountpoint as an image volume (CRI Mount.image). The image
   * counts as in use until {@link #releaseImageVolume}: RemoveImage refuses it, as containerd
   * does. {@code volumeId} is unique per container and volume, such as {@code <container id>-v0}.
   */
  public void mountImageVolume(String volumeId, String reference, Path mountpoint)
      throws IOException, ImageNotFoundException {
    mountImageVolume(volumeId, reference, mountpoint, LayerPaths.AS_THEY_ARE);
  }

  /** As {@link #mountImageVolume(String, String, Path)}, the overlay reaching the layers through {@code paths}. */
  public void mountImageVolume(String volumeId, String reference, Path mountpoint, LayerPaths paths)
      throws IOException, ImageNotFoundException {
    ImageRecord image = catalog.find(reference).orElseThrow(() -> new ImageNotFoundException(reference));
    List<Digest> diffIds = image.layers().stream().map(LayerRecord::diffId).toList();
    try (ContentGarbageCollector.Lease lease = gc.lease(diffIds)) {
      for (LayerRecord layer : image.layers()) {
        layers.ensureUnpacked(layer);
      }
      snapshots.mountImageVolume(volumeId, image.id(), diffIds, mountpoint, paths);
    }
  }

  /** Unmounts an image volume and lets its image go; idempotent. */
  public void releaseImageVolume(String volumeId, Path mountpoint) throws IOException {
    releaseRootfs(volumeId, mountpoint);
  }

  /**
   * The directory holding the container's writes to its rootfs (the overlay upper dir), for
   * writable-layer stats; empty when the container has no rootfs here.
   */
  public Optional<Path> upperDir(String containerId) {
    if (!containerId.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")) {
      return Optional.empty();
    }
    Path upper = root.resolve("containers").resolve(containerId).resolve("upper");
    return Files.isDirectory(upper) ? Optional.of(upper) : Optional.empty();
  }

  /** Unmounts and deletes the container's upper/work dirs; idempotent. */
  public void releaseRootfs(String containerId, Path mountpoint) throws IOException {
    snapshots.release(containerId, mountpoint);
    try {
      gc.collect(); // layers of an image removed while this container used them
    } catch (IOException e) {
      log.warn("garbage collection after releasing {} failed: {}", containerId, e.getMessage());
    }
  }

  @Override
  public void close() {
    // Nothing held open: every write is complete when its call returns.
  }

  private static void sweepTempFiles(Path dir) throws IOException {
    try (Stream<Path> entries = Files.list(dir)) {
      for (Path p : (Iterable<Path>) entries::iterator) {
        if (p.getFileName().toString().startsWith(AtomicFiles.TEMP_PREFIX)) {
          FileTrees.deleteRecursively(p);
        }
      }
    }
  }

  private final class Backend implements ImageBackend {
    @Override
    public List<ImageRecord> list() {
      return catalog.all();
    }

    @Override
    public Optional<ImageRecord> find(String text) {
      return catalog.find(text);
    }

    @Override
    public ImageConfig config(ImageRecord image) throws IOException {
      return configs.get(image.config(), "config of " + image.id());
    }

    @Override
    public byte[] rawConfig(ImageRecord image) throws IOException {
      return configs.raw(image.config(), "config of " + image.id());
    }

    @Override
    public CompletableFuture<ImageRecord> pull(ImageReference reference, RegistryCredentials credentials) {
      return puller.pull(reference, credentials);
    }

    @Override
    public void remove(ImageRecord image) throws IOException, ImageInUseException {
      List<String> volumes = snapshots.imageVolumes().get(image.id());
      if (volumes != null) {
        throw new ImageInUseException(image.id(), volumes);
      }
      if (catalog.remove(image.id()).isPresent()) {
        configs.forget(image.config());
        log.info("removed image {} ({})", image.id(), String.join(", ", image.repoTags()));
      }
      gc.collect();
    }

    @Override
    public FsUsage fsUsage() throws IOException {
      StoreUsage.Usage usage = storeUsage.current();
      return new FsUsage(MountTable.mountPointOf(root), usage.bytes(), usage.inodes());
    }

    @Override
    public List<ImageRecord> importArchive(Path archive) throws IOException {
      return importer.importArchive(archive);
    }

    @Override
    public long exportArchive(List<String> references, Path archive) throws IOException {
      List<ArchiveExporter.Named> named = new ArrayList<>();
      for (String ref : references) {
        ImageRecord image = catalog.find(ref).orElseThrow(() -> new IllegalArgumentException(
            "export: image \"" + ref + "\" not found"));
        List<String> names = ImageReference.isImageId(ref) || image.id().endsWith(ref)
            ? image.repoTags() : ImageReference.parse(ref).tagged().map(List::of).orElse(image.repoTags());
        named.add(new ArchiveExporter.Named(image, names));
      }
      return exporter.export(named, archive);
    }
  }
}
