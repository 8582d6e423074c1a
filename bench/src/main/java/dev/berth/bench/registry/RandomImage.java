package dev.berth.bench.registry;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * An image of random bytes in several gzip layers. Random content does not compress, so the bytes
 * on the wire are the bytes unpacked, and no runtime gains from a cache of repeated content.
 */
public final class RandomImage {

  /** A blob written to disk under its digest. */
  public record Blob(String digest, long size, Path file) {}

  public record Built(List<Blob> layers, Blob config, byte[] manifest) {}

  private static final ObjectMapper JSON = new ObjectMapper();

  private RandomImage() {}

  public static Built build(Path dir, int layerCount, long totalBytes) throws IOException {
    Files.createDirectories(dir);
    SplittableRandom random = new SplittableRandom();
    List<Blob> layers = new ArrayList<>();
    List<String> diffIds = new ArrayList<>();
    for (int i = 0; i < layerCount; i++) {
      Path file = dir.resolve("layer" + i + ".tar.gz");
      MessageDigest compressed = sha256();
      MessageDigest uncompressed = sha256();
      try (OutputStream out = new DigestOutputStream(Files.newOutputStream(file), compressed);
          GZIPOutputStream gzip = new FastGzip(out);
          TarArchiveOutputStream tar = new TarArchiveOutputStream(new DigestOutputStream(gzip, uncompressed))) {
        long size = totalBytes / layerCount;
        TarArchiveEntry entry = new TarArchiveEntry("data/layer" + i + ".bin");
        entry.setSize(size);
        entry.setMode(0644);
        tar.putArchiveEntry(entry);
        byte[] chunk = new byte[1 << 20];
        for (long written = 0; written < size; written += chunk.length) {
          random.nextBytes(chunk);
          tar.write(chunk, 0, (int) Math.min(chunk.length, size - written));
        }
        tar.closeArchiveEntry();
      }
      layers.add(new Blob(hex(compressed), Files.size(file), file));
      diffIds.add(hex(uncompressed));
    }
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("architecture", "amd64");
    config.put("os", "linux");
    config.put("config", Map.of("Cmd", List.of("/data")));
    config.put("rootfs", Map.of("type", "layers", "diff_ids", diffIds));
    Blob configBlob = write(dir.resolve("config.json"), JSON.writeValueAsBytes(config));

    Map<String, Object> manifest = new LinkedHashMap<>();
    manifest.put("schemaVersion", 2);
    manifest.put("mediaType", MediaTypes.MANIFEST);
    manifest.put("config", descriptor(MediaTypes.CONFIG, configBlob));
    manifest.put("layers", layers.stream().map(layer -> descriptor(MediaTypes.LAYER_GZIP, layer)).toList());
    return new Built(layers, configBlob, JSON.writeValueAsBytes(manifest));
  }

  private static Map<String, Object> descriptor(String mediaType, Blob blob) {
    Map<String, Object> descriptor = new LinkedHashMap<>();
    descriptor.put("mediaType", mediaType);
    descriptor.put("digest", blob.digest());
    descriptor.put("size", blob.size());
    return descriptor;
  }

  private static Blob write(Path file, byte[] content) throws IOException {
    Files.write(file, content);
    MessageDigest digest = sha256();
    digest.update(content);
    return new Blob(hex(digest), content.length, file);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String hex(MessageDigest digest) {
    return "sha256:" + HexFormat.of().formatHex(digest.digest());
  }

  /** Level 1: deflate cannot shrink random bytes anyway, so spend as little time as possible trying. */
  private static final class FastGzip extends GZIPOutputStream {
    FastGzip(OutputStream out) throws IOException {
      super(out, 1 << 16);
      def.setLevel(Deflater.BEST_SPEED);
    }
  }
}
