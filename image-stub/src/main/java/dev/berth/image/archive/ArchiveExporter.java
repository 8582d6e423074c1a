package dev.berth.image.archive;

import dev.berth.image.store.AtomicFiles;
import dev.berth.image.store.BlobStore;
import dev.berth.image.store.Digest;
import dev.berth.image.store.ImageRecord;
import dev.berth.image.store.LayerRecord;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.UUID;

/** Writes stored images to one archive (OCI layout plus docker's manifest.json), atomically. */
public final class ArchiveExporter {

  /** An image and the names to give it in the archive. */
  public record Named(ImageRecord image, List<String> names) {}

  private final BlobStore blobs;

  public ArchiveExporter(BlobStore blobs) {
    this.blobs = blobs;
  }

  public long export(List<Named> images, Path target) throws IOException {
    Path dir = target.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path temp = dir.resolve(AtomicFiles.TEMP_PREFIX + "export-" + UUID.randomUUID());
    try {
      try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        OutputStream out = Channels.newOutputStream(ch);
        try (OciArchiveWriter writer = new OciArchiveWriter(new java.io.BufferedOutputStream(out, 1 << 16) {
          @Override
          public void close() throws IOException {
            flush(); // the channel is closed (after fsync) by the outer try
          }
        })) {
          for (Named named : images) {
            ImageRecord image = named.image();
            for (LayerRecord layer : image.layers()) {
              add(writer, layer.blob());
            }
            add(writer, image.config());
            add(writer, image.manifest());
            writer.addImage(new ArchiveImage(image.manifest(), image.manifestMediaType(), blobs.size(image.manifest()),
                image.config(), image.layers().stream().map(LayerRecord::blob).toList(), named.names()));
          }
        }
        ch.force(true);
      }
      AtomicFiles.moveIntoPlace(temp, target);
      return Files.size(target);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  private void add(OciArchiveWriter writer, Digest d) throws IOException {
    writer.addBlob(d, blobs.size(d), () -> blobs.open(d));
  }
}
