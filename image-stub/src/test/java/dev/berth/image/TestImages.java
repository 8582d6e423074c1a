package dev.berth.image;

import dev.berth.image.archive.ImageArchiveBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Busybox images built from Debian's busybox-static, as the tests and demo need. */
public final class TestImages {
  public static final Path BUSYBOX = Path.of("/bin/busybox");

  private TestImages() {}

  /** A rootfs with /bin/busybox, a few applet links, /etc/passwd and a marker file. */
  public static Path busyboxRootfs(Path dir, String marker) throws IOException {
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Files.copy(BUSYBOX, bin.resolve("busybox"));
    for (String applet : List.of("sh", "ls", "cat", "echo", "sleep", "true")) {
      Files.createSymbolicLink(bin.resolve(applet), Path.of("busybox"));
    }
    Path etc = Files.createDirectories(dir.resolve("etc"));
    Files.writeString(etc.resolve("passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/sh\n");
    Files.writeString(etc.resolve("marker"), marker + "\n");
    Files.createDirectories(dir.resolve("tmp"));
    return dir;
  }

  public static ImageArchiveBuilder.BuiltImage busyboxArchive(Path work, String name, String marker, Path archive)
      throws IOException {
    Path rootfs = busyboxRootfs(Files.createDirectories(work.resolve("rootfs-" + marker)), marker);
    return ImageArchiveBuilder.fromDirectory(rootfs).name(name).cmd(List.of("sh")).user("65534")
        .workingDir("/tmp").label("berth.test", marker).writeTo(archive);
  }
}
