package dev.berth.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class MountTableTest {

  /** Lines as a hybrid cgroup node and a container host write them (proc(5) format). */
  private static final List<String> LINES = List.of(
      "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard",
      "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755",
      "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime shared:14 - cgroup cgroup rw,memory",
      "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:9 master:3 - cgroup cgroup rw,cpu,cpuacct",
      "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw",
      "59 27 0:4 net:[4026532174] /run/netns/cni-c3 rw - nsfs nsfs rw",
      "70 27 0:53 / /var/lib/with\\040space/rootfs rw,relatime - overlay overlay rw,lowerdir=/a:/b",
      "71 27 0:54 / /mnt/data rw - tmpfs first rw",
      "72 27 0:55 / /mnt/data rw - tmpfs second rw");

  @Test
  void parsesEveryFieldOfALine() {
    MountTable.Mount mount = MountTable.parse(LINES.get(2)).orElseThrow();
    assertEquals(new MountTable.Mount(35, 31, "0:32", "/", Path.of("/sys/fs/cgroup/memory"), "rw,relatime",
        List.of("shared:14"), "cgroup", "cgroup", "rw,memory"), mount);
    assertEquals(List.of("rw", "memory"), mount.superOptionList());
  }

  @Test
  void optionalFieldsOfAnyNumberEndAtTheSeparator() {
    MountTable.Mount none = MountTable.parse(LINES.get(0)).orElseThrow();
    MountTable.Mount two = MountTable.parse(LINES.get(3)).orElseThrow();
    assertEquals(List.of(), none.optionalFields());
    assertEquals("ext4", none.fsType());
    assertEquals("/dev/vda", none.source());
    assertEquals(List.of("shared:9", "master:3"), two.optionalFields());
    assertEquals(Path.of("/sys/fs/cgroup/cpu,cpuacct"), two.mountPoint());
    assertEquals(List.of("rw", "cpu", "cpuacct"), two.superOptionList());
  }

  @Test
  void octalEscapesInPathsAreDecoded() {
    MountTable.Mount mount = MountTable.parse(LINES.get(6)).orElseThrow();
    assertEquals(Path.of("/var/lib/with space/rootfs"), mount.mountPoint());
    assertEquals("a\tb\\c\nd", MountTable.unescape("a\\011b\\134c\\012d"));
    assertEquals("not\\9an escape", MountTable.unescape("not\\9an escape"), "a backslash without three octal digits stays");
  }

  @Test
  void theRootOfABindMountIsKept() {
    MountTable.Mount mount = MountTable.parse(LINES.get(5)).orElseThrow();
    assertEquals("net:[4026532174]", mount.root());
    assertEquals("nsfs", mount.fsType());
  }

  @Test
  void aLineWithoutTheSeparatorOrItsFieldsIsNoMount() {
    assertEquals(Optional.empty(), MountTable.parse("27 1 254:0 / / rw,relatime ext4 /dev/vda rw"));
    assertEquals(Optional.empty(), MountTable.parse("27 1 254:0 / / rw - ext4"));
    assertEquals(Optional.empty(), MountTable.parse(""));
    assertEquals(Optional.empty(), MountTable.parse("x 1 254:0 / / rw - ext4 /dev/vda rw"));
    assertEquals(LINES.size(), MountTable.parse(LINES).size());
  }

  @Test
  void theLastMountAtAPointNamesItsSource() {
    List<MountTable.Mount> mounts = MountTable.parse(LINES);
    assertEquals(Optional.of("second"), MountTable.sourceOf(Path.of("/mnt/data"), mounts));
    assertEquals(Optional.of("/dev/vda"), MountTable.sourceOf(Path.of("/"), mounts));
    assertEquals(Optional.empty(), MountTable.sourceOf(Path.of("/mnt"), mounts));
  }

  @Test
  void thisProcessHasARootMount() throws Exception {
    // /proc/self/mountinfo of any Linux process names "/"; no root needed to read it.
    assertTrue(MountTable.mountPoints().contains(Path.of("/")), MountTable.mountPoints().toString());
    assertEquals(Path.of("/"), MountTable.mountPointOf(Path.of("/")));
  }
}
