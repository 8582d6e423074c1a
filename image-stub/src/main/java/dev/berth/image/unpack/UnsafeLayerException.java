package dev.berth.image.unpack;

import java.io.IOException;

/** A layer entry that would land outside its layer directory (../, absolute path, symlink). */
public final class UnsafeLayerException extends IOException {
  public UnsafeLayerException(String entry, String why) {
    super("refused layer entry \"" + entry + "\": " + why);
  }
}
