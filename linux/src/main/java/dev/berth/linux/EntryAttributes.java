package dev.berth.linux;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;

/**
 * The owner, xattrs, mode and times of one file system entry itself, never of what a link in
 * it names: an entry in a {@link DirectoryHandle}, or a file it has just created (set through
 * its descriptor).
 */
public interface EntryAttributes {

  void chown(int uid, int gid) throws IOException;

  void setXattr(String attribute, byte[] value) throws IOException;

  /** All twelve mode bits, set-id and sticky included; after chown, which clears set-id bits. */
  void chmod(int mode) throws IOException;

  /** Access (null: left as it is) and modification time. */
  void setTimes(Instant accessed, Instant modified) throws IOException;

  /** The entry's path, for messages only. */
  Path shownAs();
}
