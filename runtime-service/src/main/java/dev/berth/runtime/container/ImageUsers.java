package dev.berth.runtime.container;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The image's {@code /etc/passwd} and {@code /etc/group}, read from its rootfs once before the
 * CRI-to-OCI translation, so that resolving a user name or the image's groups reads no file.
 * Malformed passwd lines name nobody, as they do for the C library.
 */
public record ImageUsers(List<Passwd> passwd, List<Group> groups) {

  public record Passwd(String name, long uid, long gid) {}

  /** @param id as written: a line with a non-numeric id is kept, so the error can name the group */
  public record Group(String name, String id, List<String> members) {}

  /** An image without user files: every user is numeric, root's group is 0. */
  public static final ImageUsers NONE = new ImageUsers(List.of(), List.of());

  public ImageUsers {
    passwd = List.copyOf(passwd);
    groups = List.copyOf(groups);
  }

  /** Both files of the image mounted at {@code rootfs} (links resolved inside it, size bounded). */
  public static ImageUsers read(Path rootfs) {
    List<Passwd> passwd = new ArrayList<>();
    new ImageUserFile(rootfs, "/etc/passwd").first(fields -> {
      if (fields.length >= 4) {
        try {
          passwd.add(new Passwd(fields[0], Long.parseLong(fields[2]), Long.parseLong(fields[3])));
        } catch (NumberFormatException ignored) {
          // A malformed line in the image's passwd names nobody.
        }
      }
      return null;
    });
    List<Group> groups = new ArrayList<>();
    new ImageUserFile(rootfs, "/etc/group").first(fields -> {
      if (fields.length >= 3) {
        groups.add(new Group(fields[0], fields[2], fields.length >= 4 ? List.of(fields[3].split(",")) : List.of()));
      }
      return null;
    });
    return new ImageUsers(passwd, groups);
  }

  public Optional<Passwd> byUid(long uid) {
    return passwd.stream().filter(p -> p.uid() == uid).findFirst();
  }

  public Optional<Passwd> byName(String name) {
    return passwd.stream().filter(p -> p.name().equals(name)).findFirst();
  }

  public Optional<Group> group(String name) {
    return groups.stream().filter(g -> g.name().equals(name)).findFirst();
  }
}
