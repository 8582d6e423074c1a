package dev.berth.runtime.testing;

import dev.berth.cri.berth.v1.ImagesGrpc;
import dev.berth.cri.berth.v1.ImportRequest;
import dev.berth.cri.client.CriClient;
import dev.berth.image.archive.ImageArchiveBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A busybox image made from Debian's busybox-static, imported into a daemon through its socket. */
public final class TestImages {

  private static final Path BUSYBOX = Path.of("/bin/busybox");

  private TestImages() {}

  public static void importBusybox(CriClient client, Path work, String reference) throws IOException, InterruptedException {
    Path archive = work.resolve("busybox.tar");
    ImageArchiveBuilder.fromDirectory(busyboxRootfs(Files.createDirectories(work.resolve("busybox-rootfs"))))
        .name(reference).cmd(List.of("sh")).writeTo(archive);
    ImagesGrpc.newBlockingStub(client.channel()).withDeadlineAfter(5, TimeUnit.MINUTES)
        .import_(ImportRequest.newBuilder().setPath(archive.toString()).build());
  }

  /**
   * The busybox image with more accounts: {@code passwd} and {@code group} lines are added to
   * the image's /etc/passwd and /etc/group.
   */
  public static void importBusyboxWithAccounts(CriClient client, Path work, String reference, String passwd,
      String group) throws IOException, InterruptedException {
    Path rootfs = busyboxRootfs(Files.createDirectories(work.resolve("accounts-rootfs")));
    Files.writeString(rootfs.resolve("etc/passwd"), passwd, java.nio.file.StandardOpenOption.APPEND);
    Files.writeString(rootfs.resolve("etc/group"), group, java.nio.file.StandardOpenOption.APPEND);
    Path archive = work.resolve("accounts.tar");
    ImageArchiveBuilder.fromDirectory(rootfs).name(reference).cmd(List.of("sh")).writeTo(archive);
    ImagesGrpc.newBlockingStub(client.channel()).withDeadlineAfter(5, TimeUnit.MINUTES)
        .import_(ImportRequest.newBuilder().setPath(archive.toString()).build());
  }

  /** An image of exactly the files under {@code rootfs}, with no command: for image volumes. */
  public static void importFiles(CriClient client, Path work, String reference, Path rootfs)
      throws IOException {
    Path archive = Files.createTempFile(work, "files", ".tar");
    ImageArchiveBuilder.fromDirectory(rootfs).name(reference).writeTo(archive);
    ImagesGrpc.newBlockingStub(client.channel()).withDeadlineAfter(5, TimeUnit.MINUTES)
        .import_(ImportRequest.newBuilder().setPath(archive.toString()).build());
  }

  /** /bin/busybox with a link for every applet it has, and the few /etc files tools read. */
  public static Path busyboxRootfs(Path dir) throws IOException, InterruptedException {
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Files.copy(BUSYBOX, bin.resolve("busybox"));
    Process list = new ProcessBuilder(BUSYBOX.toString(), "--list").start();
    List<String> applets = new String(list.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    list.waitFor(10, TimeUnit.SECONDS);
    for (String applet : applets) {
      if (!applet.equals("busybox")) {
        Files.createSymbolicLink(bin.resolve(applet), Path.of("busybox"));
      }
    }
    Path etc = Files.createDirectories(dir.resolve("etc"));
    Files.writeString(etc.resolve("passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/sh\n");
    Files.writeString(etc.resolve("group"), "root:x:0:\nnogroup:x:65534:\n");
    Path tmp = Files.createDirectories(dir.resolve("tmp"));
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
    for (String mountpoint : List.of("proc", "sys", "dev", "root")) {
      Files.createDirectories(dir.resolve(mountpoint));
    }
    return dir;
  }
}
