package dev.berth.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/release, deploy/install and deploy/uninstall against a temporary root: the real scripts,
 * with stand-in jars, so that the test needs no build of the daemon and never touches /usr or
 * systemd (--root implies --no-deps and --no-start).
 */
class InstallScriptTest {

  @TempDir
  Path dir;

  private Path release;
  private Path root;

  @BeforeEach
  void layOutARelease() throws Exception {
    Path checkout = fakeCheckout();
    release = dir.resolve("berth-release");
    root = dir.resolve("root");
    // Stand-in jars cannot run a daemon: training the AOT cache is AotCacheTest's.
    Scripts.Result result = Scripts.run(checkout.resolve("bin/release"), "--out", release.toString(), "--tar",
        "--no-aot");
    assertEquals(0, result.exitCode(), result.output());
  }

  /** The checkout's scripts and deploy/ beside stand-ins for the built jars. */
  private Path fakeCheckout() throws IOException {
    Path checkout = dir.resolve("checkout");
    for (String path : List.of("bin/release", "bin/berth", "bin/lib/java-home.sh", "bin/lib/aot.sh",
        "bin/lib/aot-train", "README.md", "pom.xml")) {
      copy(Scripts.CHECKOUT.resolve(path), checkout.resolve(path));
    }
    try (Stream<Path> files = Files.walk(Scripts.CHECKOUT.resolve("deploy"))) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        copy(file, checkout.resolve(Scripts.CHECKOUT.relativize(file)));
      }
    }
    Path target = Files.createDirectories(checkout.resolve("runtime-service/target/lib"));
    Files.writeString(target.resolveSibling("berth-runtime-service.jar"), "stand-in");
    Files.writeString(target.resolve("picocli.jar"), "stand-in");
    return checkout;
  }

  private static void copy(Path from, Path to) throws IOException {
    Files.createDirectories(to.getParent());
    Files.copy(from, to, StandardCopyOption.COPY_ATTRIBUTES);
  }

  private Scripts.Result install(String... args) throws Exception {
    String[] all = Stream.concat(Stream.of("--root", root.toString()), Stream.of(args)).toArray(String[]::new);
    return Scripts.run(release.resolve("deploy/install"), all);
  }

  @Test
  void releaseHoldsTheJarsTheLauncherAndDeployFiles() {
    for (String path : List.of("lib/berth-runtime-service.jar", "lib/picocli.jar", "bin/berth",
        "bin/lib/java-home.sh", "bin/lib/aot.sh", "bin/lib/aot-train", "deploy/install", "deploy/uninstall", "deploy/berth.service",
        "deploy/config.toml", "deploy/crictl.yaml", "deploy/kubelet-config.yaml",
        "deploy/cni/10-berth-bridge.conflist", "VERSION")) {
      assertTrue(Files.exists(release.resolve(path)), "release lacks " + path);
    }
    assertTrue(Files.isExecutable(release.resolve("deploy/install")));
    assertTrue(Files.isExecutable(release.resolve("bin/lib/aot-train")));
    assertFalse(Files.exists(release.resolve("lib/berth.aot")), "--no-aot releases without a cache");
    assertTrue(Files.exists(dir.resolve("berth-release.tar.gz")));
  }

  @Test
  void installLaysOutTheReleaseTheLinkTheUnitAndTheConfig() throws Exception {
    Scripts.Result result = install();

    assertEquals(0, result.exitCode(), result.output());
    Path lib = root.resolve("usr/local/lib/berth");
    assertTrue(Files.exists(lib.resolve("lib/berth-runtime-service.jar")));
    Path link = root.resolve("usr/local/bin/berth");
    assertTrue(Files.isSymbolicLink(link));
    assertEquals(lib.resolve("bin/berth").toRealPath(), link.toRealPath(), "the link resolves inside the root");
    assertEquals(Files.readString(Scripts.CHECKOUT.resolve("deploy/berth.service")),
        Files.readString(root.resolve("etc/systemd/system/berth.service")));
    assertEquals(Files.readString(Scripts.CHECKOUT.resolve("deploy/config.toml")),
        Files.readString(root.resolve("etc/berth/config.toml")));
    assertTrue(Files.exists(root.resolve("etc/crictl.yaml")));
    assertTrue(Files.exists(root.resolve("etc/cni/net.d/10-berth-bridge.conflist")), "an empty CNI dir gets the bridge");
    assertTrue(result.output().contains("systemd left alone"), result.output());
  }

  @Test
  void installTwiceKeepsTheOperatorsConfigAndLeavesTheSameFiles() throws Exception {
    assertEquals(0, install().exitCode());
    Path config = root.resolve("etc/berth/config.toml");
    Files.writeString(config, "log_level = \"debug\"\n");
    List<Path> first = tree(root);

    Scripts.Result second = install();

    assertEquals(0, second.exitCode(), second.output());
    assertEquals("log_level = \"debug\"\n", Files.readString(config));
    assertTrue(second.output().contains("config.toml kept"), second.output());
    assertEquals(first, tree(root), "a second install leaves the same files, no .new or .old");
  }

  @Test
  void installWithConfigReplacesItAndKeepsTheOldOne() throws Exception {
    assertEquals(0, install().exitCode());
    Path config = root.resolve("etc/berth/config.toml");
    Files.writeString(config, "log_level = \"debug\"\n");
    Path chosen = Files.writeString(dir.resolve("chosen.toml"), "log_level = \"warn\"\n");

    assertEquals(0, install("--config", chosen.toString()).exitCode());

    assertEquals("log_level = \"warn\"\n", Files.readString(config));
    assertEquals("log_level = \"debug\"\n", Files.readString(root.resolve("etc/berth/config.toml.old")));
  }

  @Test
  void anExistingCniConfigIsLeftAlone() throws Exception {
    Path netd = Files.createDirectories(root.resolve("etc/cni/net.d"));
    Files.writeString(netd.resolve("10-calico.conflist"), "{}");

    Scripts.Result result = install();

    assertEquals(0, result.exitCode(), result.output());
    assertFalse(Files.exists(netd.resolve("10-berth-bridge.conflist")));
    assertTrue(result.output().contains("10-calico.conflist is there"), result.output());
  }

  @Test
  void uninstallKeepsConfigAndStateUnlessPurged() throws Exception {
    assertEquals(0, install().exitCode());
    Files.createDirectories(root.resolve("var/lib/berth/containers"));
    Path uninstall = release.resolve("deploy/uninstall");

    Scripts.Result kept = Scripts.run(uninstall, "--root", root.toString());

    assertEquals(0, kept.exitCode(), kept.output());
    assertFalse(Files.exists(root.resolve("usr/local/lib/berth")));
    assertFalse(Files.exists(root.resolve("usr/local/bin/berth"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
    assertFalse(Files.exists(root.resolve("etc/systemd/system/berth.service")));
    assertTrue(Files.exists(root.resolve("etc/berth/config.toml")));
    assertTrue(Files.exists(root.resolve("var/lib/berth/containers")));
    assertEquals(1, Scripts.run(uninstall, "--root", root.toString(), "--purge").exitCode(),
        "purging state without stopping the containers is refused");
  }

  @Test
  void installRefusesADirectoryThatIsNotARelease() throws Exception {
    Path notARelease = Files.createDirectories(dir.resolve("empty/deploy"));
    Path script = notARelease.resolve("install");
    copy(release.resolve("deploy/install"), script);

    Scripts.Result result = Scripts.run(script, "--root", root.toString());

    assertEquals(1, result.exitCode());
    assertTrue(result.output().contains("is not a Berth release"), result.output());
  }

  private static List<Path> tree(Path root) throws IOException {
    try (Stream<Path> files = Files.walk(root)) {
      return files.map(root::relativize).sorted().toList();
    }
  }
}
