package dev.berth.image.archive;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Writes a directory tree as a layer tar: sorted names (so the same tree gives the same diffID),
 * owners, modes, symlinks and hard links as on the host.
 */
final class LayerTarWriter {

  private LayerTarWriter() {}

  static void write(Path root, OutputStream out) throws IOException {
    TarArchiveOutputStream tar = new TarArchiveOutputStream(out);
    tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
    tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
    Map<Object, String> seenInodes = new HashMap<>();
    List<Path> paths;
    try (Stream<Path> walk = Files.walk(root)) {
      paths = walk.filter(p -> !p.equals(root)).sorted().toList();
    }
    for (Path p : paths) {
      String name = root.relativize(p).toString();
      PosixFileAttributes attrs = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
      int uid = (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
      int gid = (Integer) Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS);
      TarArchiveEntry entry;
      boolean content = false;
      if (attrs.isSymbolicLink()) {
        entry = new TarArchiveEntry(name, TarArchiveEntry.LF_SYMLINK);
        entry.setLinkName(Files.readSymbolicLink(p).toString());
      } else if (attrs.isDirectory()) {
        entry = new TarArchiveEntry(name + "/");
      } else if (attrs.isRegularFile()) {
        int nlink = (Integer) Files.getAttribute(p, "unix:nlink", LinkOption.NOFOLLOW_LINKS);
        Object inode = attrs.fileKey();
        if (nlink > 1 && seenInodes.containsKey(inode)) {
          entry = new TarArchiveEntry(name, TarArchiveEntry.LF_LINK);
          entry.setLinkName(seenInodes.get(inode));
        } else {
          if (nlink > 1) {
            seenInodes.put(inode, name);
          }
          entry = new TarArchiveEntry(name);
          entry.setSize(attrs.size());
          content = true;
        }
      } else {
        continue; // sockets, devices: not needed by the images we build
      }
      entry.setMode(mode);
      entry.setUserId(uid);
      entry.setGroupId(gid);
      entry.setModTime(attrs.lastModifiedTime().toMillis());
      tar.putArchiveEntry(entry);
      if (content) {
        try (InputStream in = Files.newInputStream(p)) {
          in.transferTo(tar);
        }
      }
      tar.closeArchiveEntry();
    }
    tar.finish();
  }
}
