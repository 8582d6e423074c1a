package dev.berth.image.unpack;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.apache.commons.compress.compressors.zstandard.ZstdCompressorInputStream;

/**
 * Opens a layer blob as a tar stream. The compression is told from the first bytes, not from the
 * media type: registries and archives mislabel layers often enough (docker save writes plain tar
 * under gzip names, some tools the reverse).
 */
public final class Decompression {
  private Decompression() {}

  public static InputStream tarStream(InputStream raw) throws IOException {
    BufferedInputStream in = raw instanceof BufferedInputStream b ? b : new BufferedInputStream(raw, 65536);
    in.mark(4);
    byte[] magic = in.readNBytes(4);
    in.reset();
    if (magic.length >= 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b) {
      // Concatenated gzip members are legal and some layer writers produce them.
      return GzipCompressorInputStream.builder().setInputStream(in).setDecompressConcatenated(true).get();
    }
    if (magic.length == 4 && (magic[0] & 0xff) == 0x28 && (magic[1] & 0xff) == 0xb5
        && (magic[2] & 0xff) == 0x2f && (magic[3] & 0xff) == 0xfd) {
      return new ZstdCompressorInputStream(in);
    }
    return in;
  }
}
