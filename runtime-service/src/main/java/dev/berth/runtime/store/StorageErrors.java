package dev.berth.runtime.store;

import java.nio.file.FileSystemException;
import java.util.Locale;

/**
 * Recognises a full file system in a failure, wherever it came from: our own writes
 * ({@link FileSystemException} with the errno text as its reason), or runc, conmon and CNI plugins,
 * which only report the kernel's text (strerror of ENOSPC or EDQUOT) inside their messages.
 */
public final class StorageErrors {

  private static final String[] NO_SPACE = {"no space left on device", "disk quota exceeded"};

  private StorageErrors() {}

  /** Whether {@code error} or any of its causes says that a disk or a quota is full. */
  public static boolean isNoSpace(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      String text = t instanceof FileSystemException fs && fs.getReason() != null ? fs.getReason() : t.getMessage();
      if (text != null) {
        String lower = text.toLowerCase(Locale.ROOT);
        for (String marker : NO_SPACE) {
          if (lower.contains(marker)) {
            return true;
          }
        }
      }
    }
    return false;
  }
}
