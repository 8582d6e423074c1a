package dev.berth.runtime.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real namespaces (needs root): every test removes what it pinned. */
@Tag("integration")
class NetworkNamespacesTest {

  @TempDir
  Path dir;

  NetworkNamespaces namespaces;

  @BeforeEach
  void setUp() {
    namespaces = new NetworkNamespaces(dir.resolve("netns"));
  }

  @AfterEach
  void unpinEverything() throws IOException {
    for (String id : new String[] {"a", "b"}) {
      namespaces.remove(id);
    }
  }

  @Test
  void createPinsANewNamespaceThatNsenterCanEnter() throws Exception {
    Path file = namespaces.create("a");

    assertEquals(dir.resolve("netns").resolve("a"), file);
    assertTrue(namespaces.exists("a"));
    String inside = run("nsenter", "--net=" + file, "readlink", "/proc/self/ns/net");
    String host = Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString();
    assertTrue(inside.startsWith("net:["), inside);
    assertNotEquals(host, inside, "nsenter must land in a namespace other than the host's");
    assertTrue(run("nsenter", "--net=" + file, "ip", "-o", "link").contains("lo:"));
  }

  @Test
  void aNewNamespaceHasLoUpWithTheLoopbackAddresses() throws Exception {
    Path file = namespaces.create("a");

    String lo = run("nsenter", "--net=" + file, "ip", "-o", "addr", "show", "dev", "lo");
    assertTrue(lo.contains("inet 127.0.0.1/8"), lo);
    String flags = run("nsenter", "--net=" + file, "ip", "-o", "link", "show", "dev", "lo");
    assertTrue(flags.contains("<LOOPBACK,UP,LOWER_UP>"), flags);
  }

  @Test
  void aNamespaceAnotherProcessMadeGetsLoUpWhenPinned() throws Exception {
    Process holder = new ProcessBuilder("unshare", "--net", "sleep", "60").start();
    try {
      Path namespace = Path.of("/proc/" + holder.pid() + "/ns/net");
      String own = Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString();
      for (int i = 0; i < 100 && own.equals(Files.readSymbolicLink(namespace).toString()); i++) {
        Thread.sleep(20); // unshare has not made its namespace yet
      }
      String before = run("nsenter", "--net=" + namespace, "ip", "-o", "link", "show", "dev", "lo");
      assertFalse(before.contains(",UP"), "a fresh namespace's lo starts down: " + before);

      Path file = namespaces.createFrom("a", namespace);

      String lo = run("nsenter", "--net=" + file, "ip", "-o", "addr", "show", "dev", "lo");
      assertTrue(lo.contains("inet 127.0.0.1/8"), lo);
      assertEquals(own, Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString());
    } finally {
      holder.destroyForcibly();
      holder.waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void preparingTheCallsForFirstUseChangesNoNamespace() throws Exception {
    String host = Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString();

    NetworkNamespaces.prepareFirstUse();

    // Run twice: a second daemon start in the same JVM (tests) prepares again.
    NetworkNamespaces.prepareFirstUse();
    assertEquals(host, Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString());
    // The calls still make namespaces afterwards.
    assertNotEquals(host, run("nsenter", "--net=" + namespaces.create("a"), "readlink", "/proc/self/ns/net"));
  }

  @Test
  void twoSandboxesGetTwoNamespaces() throws Exception {
    Path a = namespaces.create("a");
    Path b = namespaces.create("b");
    assertNotEquals(
        run("nsenter", "--net=" + a, "readlink", "/proc/self/ns/net"),
        run("nsenter", "--net=" + b, "readlink", "/proc/self/ns/net"));
  }

  @Test
  void removeUnmountsAndDeletes() throws Exception {
    Path file = namespaces.create("a");

    namespaces.remove("a");

    assertFalse(namespaces.exists("a"));
    assertFalse(Files.exists(file));
    assertFalse(Files.readString(Path.of("/proc/self/mountinfo")).contains(file.toString()),
        "no mount may remain on " + file);
  }

  @Test
  void removeTwiceSucceeds() throws IOException {
    namespaces.create("a");
    namespaces.remove("a");
    namespaces.remove("a");
    assertFalse(namespaces.exists("a"));
  }

  @Test
  void removeOfANamespaceNeverCreatedSucceeds() throws IOException {
    namespaces.remove("b");
    assertFalse(namespaces.exists("b"));
  }

  @Test
  void aPlainFileLeftOnDiskIsNotANamespace() throws IOException {
    Files.createDirectories(dir.resolve("netns"));
    Files.createFile(namespaces.path("a"));
    assertFalse(namespaces.exists("a"));
    namespaces.remove("a");
    assertFalse(Files.exists(namespaces.path("a")));
  }

  @Test
  void createTwiceFailsAndKeepsTheFirst() throws IOException {
    namespaces.create("a");
    assertThrows(FileAlreadyExistsException.class, () -> namespaces.create("a"));
    assertTrue(namespaces.exists("a"));
  }

  @Test
  void aFailedCreateLeavesNothingBehind() {
    NetworkNamespaces failing = new NetworkNamespaces(dir.resolve("netns"), file -> {
      throw new IOException("refused");
    });
    IOException e = assertThrows(IOException.class, () -> failing.create("a"));
    assertTrue(e.getMessage().contains("refused"), e.getMessage());
    assertFalse(Files.exists(namespaces.path("a")));
    NetworkNamespaces pinsNothing = new NetworkNamespaces(dir.resolve("netns"), file -> {});
    e = assertThrows(IOException.class, () -> pinsNothing.create("a"));
    assertTrue(e.getMessage().contains("no network namespace is mounted"), e.getMessage());
    assertFalse(Files.exists(namespaces.path("a")));
  }

  @Test
  void creatingNamespacesLeavesTheDaemonInItsOwn() throws Exception {
    String before = Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString();
    String threadBefore = Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString();
    Path a = namespaces.create("a");
    Path b = namespaces.create("b");
    assertEquals(before, Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString());
    assertEquals(threadBefore, Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString());
    // Every thread of this JVM is still in the namespace it started in.
    try (var tasks = Files.list(Path.of("/proc/self/task"))) {
      for (Path task : tasks.toList()) {
        try {
          assertEquals(before, Files.readSymbolicLink(task.resolve("ns/net")).toString(), task.toString());
        } catch (java.nio.file.NoSuchFileException ended) {
          // A thread that ended between the listing and the read.
        }
      }
    }
    assertNotEquals(before, run("nsenter", "--net=" + a, "readlink", "/proc/self/ns/net"));
    assertNotEquals(before, run("nsenter", "--net=" + b, "readlink", "/proc/self/ns/net"));
  }

  @Test
  void idsThatWouldLeaveTheDirectoryAreRefused() {
    for (String id : new String[] {"..", "../x", "a/b", ".hidden", "", "a b"}) {
      assertThrows(IllegalArgumentException.class, () -> namespaces.path(id), id);
    }
  }

  private static String run(String... command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertTrue(process.waitFor(10, TimeUnit.SECONDS));
    assertEquals(0, process.exitValue(), String.join(" ", command) + ": " + output);
    return output;
  }
}
