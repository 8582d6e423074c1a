package dev.berth.runtime.container;

import dev.berth.runtime.model.CriException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The container's main process, merged the way Docker and the kubelet define it: the CRI
 * command replaces the image entrypoint, CRI args replace the image cmd; CRI env overrides the
 * image's by name; CRI user settings override the image's user. Names are looked up in the
 * image's user files, read before ({@link ImageUsers}): the merge itself reads nothing.
 */
public record ProcessPlan(List<String> args, List<String> env, String workingDir, long uid, long gid) {

  /** The image side of the merge. */
  public record ImageDefaults(List<String> entrypoint, List<String> cmd, List<String> env, String workingDir,
      String user) {}

  /** The CRI side of the merge; null uid/gid/username mean "not set". */
  public record Requested(List<String> command, List<String> args, List<String> env, String workingDir,
      Long runAsUser, Long runAsGroup, String runAsUsername) {}

  static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

  public static ProcessPlan merge(ImageDefaults image, Requested requested, ImageUsers users) {
    List<String> args = new ArrayList<>();
    if (!requested.command().isEmpty()) {
      args.addAll(requested.command());
      args.addAll(requested.args());
    } else {
      args.addAll(image.entrypoint());
      args.addAll(requested.args().isEmpty() ? image.cmd() : requested.args());
    }
    if (args.isEmpty()) {
      throw new CriException.InvalidArgument("container config has no command and the image has no entrypoint or cmd");
    }

    Map<String, String> env = new LinkedHashMap<>();
    for (String entry : image.env()) {
      putEnv(env, entry);
    }
    for (String entry : requested.env()) {
      putEnv(env, entry);
    }
    env.putIfAbsent("PATH", DEFAULT_PATH);
    List<String> envList = env.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList();

    String cwd = !requested.workingDir().isEmpty() ? requested.workingDir()
        : !image.workingDir().isEmpty() ? image.workingDir() : "/";

    long[] user = resolveUser(image.user(), requested, users);
    return new ProcessPlan(List.copyOf(args), envList, cwd, user[0], user[1]);
  }

  private static void putEnv(Map<String, String> env, String entry) {
    int eq = entry.indexOf('=');
    if (eq <= 0) {
      env.put(entry, "");
    } else {
      env.put(entry.substring(0, eq), entry.substring(eq + 1));
    }
  }

  private static long[] resolveUser(String imageUser, Requested requested, ImageUsers users) {
    if (requested.runAsGroup() != null && requested.runAsUser() == null && requested.runAsUsername() == null) {
      throw new CriException.InvalidArgument("run_as_group is set without run_as_user or run_as_username");
    }
    if (requested.runAsUser() != null) {
      long uid = requested.runAsUser();
      long gid = requested.runAsGroup() != null ? requested.runAsGroup() : users.byUid(uid).map(ImageUsers.Passwd::gid).orElse(0L);
      return new long[] {uid, gid};
    }
    if (requested.runAsUsername() != null && !requested.runAsUsername().isEmpty()) {
      long[] user = resolveSpec(requested.runAsUsername(), users);
      if (requested.runAsGroup() != null) {
        user[1] = requested.runAsGroup();
      }
      return user;
    }
    if (imageUser == null || imageUser.isEmpty()) {
      return new long[] {0, 0};
    }
    return resolveSpec(imageUser, users);
  }

  /** "name", "uid", "name:group" or "uid:gid", names looked up in the image's own files. */
  private static long[] resolveSpec(String spec, ImageUsers users) {
    String[] parts = spec.split(":", 2);
    long uid;
    Optional<ImageUsers.Passwd> entry;
    if (parts[0].isEmpty()) {
      throw new CriException.InvalidArgument("user \"" + spec + "\" names no user before ':'");
    }
    if (parts[0].chars().allMatch(Character::isDigit)) {
      uid = numericId(parts[0], "uid", spec);
      entry = users.byUid(uid);
    } else {
      entry = users.byName(parts[0]);
      uid = entry.orElseThrow(() -> new CriException.InvalidArgument(
          "user \"" + parts[0] + "\" not found in the image's /etc/passwd")).uid();
    }
    long gid;
    if (parts.length == 2) {
      gid = !parts[1].isEmpty() && parts[1].chars().allMatch(Character::isDigit) ? numericId(parts[1], "gid", spec)
          : groupId(users, parts[1]);
    } else {
      gid = entry.map(ImageUsers.Passwd::gid).orElse(0L);
    }
    return new long[] {uid, gid};
  }

  /** Linux ids are 32 bits: a longer number is refused rather than overflowing. */
  private static long numericId(String digits, String what, String spec) {
    if (digits.length() > 10 || Long.parseLong(digits) > 0xFFFF_FFFFL) {
      throw new CriException.InvalidArgument(what + " " + digits + " of user \"" + spec + "\" is out of range");
    }
    return Long.parseLong(digits);
  }

  /** The groups the image's /etc/group lists the user (by uid's name) as a member of. */
  public static List<Long> imageGroupsOf(long uid, ImageUsers users) {
    Optional<String> name = users.byUid(uid).map(ImageUsers.Passwd::name);
    if (name.isEmpty()) {
      return List.of();
    }
    List<Long> groups = new ArrayList<>();
    for (ImageUsers.Group group : users.groups()) {
      if (group.members().contains(name.get())) {
        try {
          groups.add(Long.parseLong(group.id()));
        } catch (NumberFormatException ignored) {
          // A malformed group line gives no group.
        }
      }
    }
    return groups;
  }

  private static long groupId(ImageUsers users, String name) {
    return users.group(name).map(group -> parseId(group.id(), name))
        .orElseThrow(() -> new CriException.InvalidArgument("group \"" + name + "\" not found in the image's /etc/group"));
  }

  private static Long parseId(String text, String group) {
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      throw new CriException.InvalidArgument("group \"" + group + "\" in the image's /etc/group has no numeric id");
    }
  }
}
