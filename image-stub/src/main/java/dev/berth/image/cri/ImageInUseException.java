package dev.berth.image.cri;

import java.util.List;

/** RemoveImage of an image that containers have mounted as an image volume; the message names them. */
public final class ImageInUseException extends Exception {
  public ImageInUseException(String imageId, List<String> volumes) {
    super("image " + imageId + " is in use as an image volume (" + String.join(", ", volumes)
        + "); remove those containers first");
  }
}
