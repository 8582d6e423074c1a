package dev.berth.image.registry;

import java.io.IOException;
import java.io.InputStream;

/**
 * Where a blob's body goes as it downloads: the blob store, or a layer unpack that stores the
 * blob in the same pass. The body it reads is already held to the descriptor's size; its
 * transport failures arrive as {@link RegistryException}s naming the blob, so that anything else
 * it throws (a digest mismatch, a hostile tar entry, a full disk) is its own and passes unchanged.
 */
@FunctionalInterface
public interface BlobSink<T> {
  T accept(InputStream body) throws IOException;
}
