package dev.berth.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/berth's choice of AOT cache (bin/lib/aot.sh): the real launcher, run with a stand-in JDK
 * whose {@code java} prints the arguments it was given, so the test needs no root, no build and
 * no JVM start. A cache is used only when its key (JDK build, JVM flags, jars) fits; otherwise
 * the daemon starts without it and says why.
 */
class AotLauncherTest {

  @TempDir
  Path dir;

  private Path home;
  private Path jdk;

  @BeforeEach
  void layOutAReleaseAndAJdk() throws IOException {
    home = dir.resolve("berth");
    for (String script : List.of("bin/berth", "bin/lib/java-home.sh", "bin/lib/aot.sh", "bin/lib/aot-train")) {
      copy(Scripts.CHECKOUT.resolve(script), home.resolve(script));
    }
    for (String jar : List.of("berth-runtime-service.jar", "picocli-4.7.7.jar", "HdrHistogram-2.2.2.jar", "grpc-api.jar")) {
      Files.writeString(Files.createDirectories(home.resolve("lib")).resolve(jar), "stand-in " + jar);
    }
    jdk = standInJdk(dir.resolve("jdk"), "25.0.3+9-LTS");
  }

  /** A directory that java-home.sh takes for a JDK 25 and whose java prints its arguments. */
  private static Path standInJdk(Path jdk, String runtimeVersion) throws IOException {
    Path bin = Files.createDirectories(jdk.resolve("bin"));
    Files.writeString(jdk.resolve("release"), "IMPLEMENTOR=\"Eclipse Adoptium\"\nJAVA_RUNTIME_VERSION=\""
        + runtimeVersion + "\"\nJAVA_VERSION=\"25.0.3\"\nOS_ARCH=\"x86_64\"\n");
    for (String tool : List.of("java", "javac")) {
      Path script = Files.writeString(bin.resolve(tool), "#!/bin/sh\nprintf 'arg %s\\n' \"$@\"\necho \"cwd $PWD\"\n");
      Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    return jdk;
  }

  private Scripts.Result berth(Map<String, String> extra, String... args) throws Exception {
    Map<String, String> environment = new HashMap<>(Map.of("BERTH_JAVA_HOME", jdk.toString(),
        "JAVA_HOME", "", "BERTH_JAVA_OPTS", "", "BERTH_AOT", "", "BERTH_AOT_OUTPUT", ""));
    environment.putAll(extra);
    return Scripts.run(environment, home.resolve("bin/berth"), args);
  }

  /** What bin/aot-train's training run does: the launcher writes the key, the JVM the cache. */
  private void train(Map<String, String> extra) throws Exception {
    Path cache = home.resolve("lib/berth.aot");
    Map<String, String> environment = new HashMap<>(extra);
    environment.put("BERTH_AOT_OUTPUT", cache.toString());
    Scripts.Result training = berth(environment, "serve");
    assertEquals(0, training.exitCode(), training.output());
    assertTrue(training.output().contains("arg -XX:AOTCacheOutput=" + cache), training.output());
    Files.writeString(cache, "the JVM's cache");
  }

  private String cacheFlag() {
    return "arg -XX:AOTCache=" + home.resolve("lib/berth.aot");
  }

  @Test
  void aCacheTrainedForTheseJarsFlagsAndJdkIsUsed() throws Exception {
    train(Map.of());

    Scripts.Result serve = berth(Map.of(), "serve");

    assertEquals(0, serve.exitCode(), serve.output());
    assertTrue(serve.output().contains(cacheFlag()), serve.output());
    assertFalse(serve.output().contains("not using"), serve.output());
    assertEquals(0, berth(Map.of(), "aot-status").exitCode());
  }

  @Test
  void withoutACacheTheDaemonStartsAndSaysThereIsNone() throws Exception {
    Scripts.Result serve = berth(Map.of(), "serve");

    assertEquals(0, serve.exitCode(), serve.output());
    assertFalse(serve.output().contains("-XX:AOTCache"), serve.output());
    assertTrue(serve.output().contains("there is none"), serve.output());
    Scripts.Result status = berth(Map.of(), "aot-status");
    assertEquals(1, status.exitCode(), status.output());
    assertTrue(status.output().contains("berth aot-train"), status.output());
  }

  @Test
  void otherJvmFlagsStartWithoutTheCacheNamingTheFlags() throws Exception {
    train(Map.of());

    Scripts.Result serve = berth(Map.of("BERTH_JAVA_OPTS", "-XX:+UseParallelGC -Xmx1g"), "serve");

    assertEquals(0, serve.exitCode(), serve.output());
    assertFalse(serve.output().contains("-XX:AOTCache"), serve.output());
    assertTrue(serve.output().contains("not using the AOT cache"), serve.output());
    assertTrue(serve.output().contains("options --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC -Xmx1g"),
        serve.output());
  }

  @Test
  void aChangedJarStartsWithoutTheCacheNamingTheJar() throws Exception {
    train(Map.of());
    Files.writeString(home.resolve("lib/picocli-4.7.7.jar"), "a newer picocli, another size");

    Scripts.Result serve = berth(Map.of(), "serve");

    assertFalse(serve.output().contains("-XX:AOTCache"), serve.output());
    assertTrue(serve.output().contains("jar lib/picocli-4.7.7.jar"), serve.output());
  }

  @Test
  void aJarWithTheSameSizeButAnotherTimeStartsWithoutTheCache() throws Exception {
    train(Map.of());
    // The JVM compares jar times too: a rebuilt jar of the same size is another jar to it.
    Files.setLastModifiedTime(home.resolve("lib/grpc-api.jar"), FileTime.from(Instant.parse("2030-01-01T00:00:00Z")));

    Scripts.Result serve = berth(Map.of(), "serve");

    assertFalse(serve.output().contains("-XX:AOTCache"), serve.output());
    assertTrue(serve.output().contains("jar lib/grpc-api.jar"), serve.output());
  }

  @Test
  void anotherJdkBuildStartsWithoutTheCache() throws Exception {
    train(Map.of());
    Path otherJdk = standInJdk(dir.resolve("other-jdk"), "25.0.4+7-LTS");

    Scripts.Result serve = berth(Map.of("BERTH_JAVA_HOME", otherJdk.toString()), "serve");

    assertFalse(serve.output().contains("-XX:AOTCache"), serve.output());
    assertTrue(serve.output().contains("JAVA_RUNTIME_VERSION"), serve.output());
  }

  @Test
  void aCacheWithoutItsKeyIsNotUsed() throws Exception {
    train(Map.of());
    Files.delete(home.resolve("lib/berth.aot.key"));

    Scripts.Result serve = berth(Map.of(), "serve");

    assertFalse(serve.output().contains("-XX:AOTCache"), serve.output());
    assertTrue(serve.output().contains("no key file"), serve.output());
  }

  @Test
  void theCacheStillFitsAfterTheInstallationIsCopiedElsewhereWithItsTimes() throws Exception {
    train(Map.of());
    Path installed = dir.resolve("usr/local/lib/berth");
    Files.createDirectories(installed.getParent());
    // What deploy/install does (cp -a): the JVM accepts a cache moved together with its jars.
    Process copy = new ProcessBuilder("cp", "-a", home.toString(), installed.toString()).inheritIO().start();
    assertEquals(0, copy.waitFor());
    home = installed;

    Scripts.Result serve = berth(Map.of(), "serve");

    assertTrue(serve.output().contains(cacheFlag()), serve.output());
  }

  @Test
  void berthAotOffStartsWithoutTheCache() throws Exception {
    train(Map.of());

    Scripts.Result serve = berth(Map.of("BERTH_AOT", "off"), "serve");

    assertFalse(serve.output().contains("-XX:AOTCache"), serve.output());
    assertTrue(serve.output().contains("BERTH_AOT=off"), serve.output());
  }

  @Test
  void theClasspathIsInByteOrderWhateverTheLocale() throws Exception {
    Scripts.Result run = berth(Map.of("LC_ALL", "en_US.UTF-8", "LANG", "en_US.UTF-8"), "version");

    String lib = home.resolve("lib").toString();
    assertTrue(run.output().contains("arg " + String.join(":", lib + "/HdrHistogram-2.2.2.jar",
        lib + "/berth-runtime-service.jar", lib + "/grpc-api.jar", lib + "/picocli-4.7.7.jar")), run.output());
  }

  @Test
  void aCheckoutRunsTheDaemonJarFirstAndKeepsItsCacheInTarget() throws Exception {
    Path checkout = dir.resolve("checkout");
    for (String script : List.of("bin/berth", "bin/lib/java-home.sh", "bin/lib/aot.sh")) {
      copy(home.resolve(script), checkout.resolve(script));
    }
    Path target = Files.createDirectories(checkout.resolve("runtime-service/target/lib"));
    Files.writeString(target.resolveSibling("berth-runtime-service.jar"), "stand-in");
    Files.writeString(target.resolve("picocli.jar"), "stand-in");
    home = checkout;

    Scripts.Result status = berth(Map.of(), "aot-status");
    Scripts.Result run = berth(Map.of(), "version");

    assertTrue(status.output().contains(checkout.resolve("runtime-service/target/berth.aot").toString()),
        status.output());
    assertTrue(run.output().contains("arg " + target.resolveSibling("berth-runtime-service.jar") + ":"
        + target.resolve("picocli.jar")), run.output());
  }

  @Test
  void theKeyNamesTheJdkBuildTheFlagsAndEachJarsSizeAndTime() throws Exception {
    train(Map.of());

    List<String> expected = new java.util.ArrayList<>(List.of("format 1", "IMPLEMENTOR=\"Eclipse Adoptium\"",
        "JAVA_RUNTIME_VERSION=\"25.0.3+9-LTS\"", "OS_ARCH=\"x86_64\"", "options --enable-native-access=ALL-UNNAMED "
            + String.join(" ", defaultJvmOptions())));
    for (String jar : List.of("HdrHistogram-2.2.2.jar", "berth-runtime-service.jar", "grpc-api.jar", "picocli-4.7.7.jar")) {
      Path file = home.resolve("lib").resolve(jar);
      expected.add("jar lib/" + jar + " " + Files.size(file) + " " + Files.getLastModifiedTime(file).toInstant().getEpochSecond());
    }
    assertEquals(expected, Files.readAllLines(home.resolve("lib/berth.aot.key")));
  }

  @Test
  void aFittingCacheIsCheckedWithOneProcessBeforeTheJvm() throws Exception {
    train(Map.of());
    // Only bash and logging stand-ins of stat and readlink on the PATH: any other command the
    // launcher ran before the JVM (each a fork on every daemon start) would not be found.
    Path tools = Files.createDirectories(dir.resolve("tools"));
    Path ran = tools.resolve("ran.log");
    Files.createSymbolicLink(tools.resolve("bash"), Path.of("/bin/bash"));
    for (String tool : List.of("stat", "readlink")) {
      Path real = List.of(Path.of("/usr/bin", tool), Path.of("/bin", tool)).stream().filter(Files::isExecutable)
          .findFirst().orElseThrow();
      Path wrapper = Files.writeString(tools.resolve(tool), "#!/bin/sh\necho " + tool + " >>" + ran + "\nexec " + real
          + " \"$@\"\n");
      Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    Scripts.Result serve = berth(Map.of("PATH", tools.toString()), "serve");

    assertEquals(0, serve.exitCode(), serve.output());
    assertTrue(serve.output().contains(cacheFlag()), serve.output());
    assertEquals(List.of("stat"), Files.readAllLines(ran));
  }

  @Test
  void startedThroughALinkItFindsItsInstallationAndKeepsTheCallersDirectory() throws Exception {
    train(Map.of());
    // As deploy/install links /usr/local/bin/berth to the release's launcher.
    Path link = Files.createDirectories(dir.resolve("usr/local/bin")).resolve("berth");
    Files.createSymbolicLink(link, Path.of("../../../berth/bin/berth"));

    Scripts.Result serve = Scripts.run(Map.of("BERTH_JAVA_HOME", jdk.toString(), "JAVA_HOME", "",
        "BERTH_JAVA_OPTS", "", "BERTH_AOT", "", "BERTH_AOT_OUTPUT", ""), link, "serve");

    assertEquals(0, serve.exitCode(), serve.output());
    assertTrue(serve.output().contains(cacheFlag()), serve.output());
    // Relative paths in a command's arguments (images import FILE) are the caller's.
    assertTrue(serve.output().contains("cwd " + Path.of("").toAbsolutePath()), serve.output());
  }

  /** The JVM flags bin/berth runs the daemon with when BERTH_JAVA_OPTS is unset. */
  private List<String> defaultJvmOptions() throws IOException {
    String launcher = Files.readString(home.resolve("bin/berth"));
    String block = launcher.substring(launcher.indexOf("default_opts=(") + "default_opts=(".length());
    return List.of(block.substring(0, block.indexOf(')')).trim().split("\\s+"));
  }

  private static void copy(Path from, Path to) throws IOException {
    Files.createDirectories(to.getParent());
    Files.copy(from, to, StandardCopyOption.COPY_ATTRIBUTES);
  }
}
