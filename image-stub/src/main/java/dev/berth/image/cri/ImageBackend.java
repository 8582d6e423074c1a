package dev.berth.image.cri;

import dev.berth.image.manifest.ImageConfig;
import dev.berth.image.reference.ImageReference;
import dev.berth.image.registry.RegistryCredentials;
import dev.berth.image.store.ImageRecord;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** What the gRPC services need from the store; ImageStore implements it. */
public interface ImageBackend {

  List<ImageRecord> list();

  /** By image ID, unique ID prefix, tag or repo digest; throws InvalidReferenceException. */
  Optional<ImageRecord> find(String text);

  ImageConfig config(ImageRecord image) throws IOException;

  byte[] rawConfig(ImageRecord image) throws IOException;

  /**
   * Starts (or joins) the pull; cancelling the future tells the puller that this caller has gone,
   * and the download stops when every caller has.
   */
  CompletableFuture<ImageRecord> pull(ImageReference reference, RegistryCredentials credentials);

  void remove(ImageRecord image) throws IOException, ImageInUseException;

  FsUsage fsUsage() throws IOException;

  List<ImageRecord> importArchive(Path archive) throws IOException;

  long exportArchive(List<String> references, Path archive) throws IOException;

  /** Bytes and inodes in use on the filesystem that holds the store. */
  record FsUsage(Path mountpoint, long usedBytes, long usedInodes) {}
}
