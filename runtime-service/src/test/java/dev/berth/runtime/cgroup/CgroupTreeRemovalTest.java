package dev.berth.runtime.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The removal of a cgroup tree against a kernel scripted over a temp directory: which directories
 * go in which order, what a busy cgroup's members get, how long it is waited for, and what the
 * error says.
 */
class CgroupTreeRemovalTest {

  @TempDir
  Path tmp;

  /** rmdir answers EBUSY for a directory while it has scripted members; each kill takes one away. */
  private static class ScriptedKernel implements CgroupTreeRemoval.Kernel {
    final Map<Path, List<Long>> members = new ConcurrentHashMap<>();
    final Map<Long, Integer> killsToDie = new ConcurrentHashMap<>();
    final List<String> calls = new ArrayList<>();
    long now;

    @Override
    public void rmdir(Path dir) throws IOException {
      calls.add("rmdir " + dir.getFileName());
      if (!members.getOrDefault(dir, List.of()).isEmpty()) {
        throw new FileSystemException(dir.toString(), null, "Device or resource busy");
      }
      Files.deleteIfExists(dir);
    }

    @Override
    public List<Long> members(Path dir) {
      return members.entrySet().stream().filter(e -> e.getKey().startsWith(dir)).flatMap(e -> e.getValue().stream())
          .toList();
    }

    @Override
    public void kill(long pid) {
      calls.add("kill " + pid);
      if (killsToDie.merge(pid, -1, Integer::sum) <= 0) {
        members.replaceAll((dir, pids) -> pids.stream().filter(p -> p != pid).toList());
      }
    }

    @Override
    public void pause(Duration pause) {
      now += pause.toNanos();
    }

    @Override
    public long nanoTime() {
      return now;
    }
  }

  private Path tree() throws IOException {
    Path container = tmp.resolve("pod").resolve("container");
    Files.createDirectories(container.resolve("child"));
    return tmp.resolve("pod");
  }

  @Test
  void childrenGoBeforeTheirParents() throws Exception {
    ScriptedKernel kernel = new ScriptedKernel();
    new CgroupTreeRemoval(kernel).remove(tree());
    assertEquals(List.of("rmdir child", "rmdir container", "rmdir pod"), kernel.calls);
    assertFalse(Files.exists(tmp.resolve("pod")));
  }

  @Test
  void aCgroupThatIsGoneIsNothingToDo() throws Exception {
    ScriptedKernel kernel = new ScriptedKernel();
    new CgroupTreeRemoval(kernel).remove(tmp.resolve("never-made"));
    assertEquals(List.of(), kernel.calls);
  }

  @Test
  void aProcessStillDyingIsKilledAgainAndWaitedFor() throws Exception {
    Path pod = tree();
    Path container = pod.resolve("container");
    ScriptedKernel kernel = new ScriptedKernel();
    kernel.members.put(container, List.of(4242L));
    kernel.killsToDie.put(4242L, 3);

    new CgroupTreeRemoval(kernel).remove(pod);

    assertFalse(Files.exists(pod));
    assertEquals(3, kernel.calls.stream().filter("kill 4242"::equals).count(), kernel.calls.toString());
    assertTrue(kernel.now < CgroupTreeRemoval.BUSY_WAIT.toNanos(), "waited " + kernel.now + " ns");
  }

  @Test
  void aCgroupBusyPastTheWaitIsAnErrorNamingItsProcesses() throws Exception {
    Path pod = tree();
    ScriptedKernel kernel = new ScriptedKernel();
    kernel.members.put(pod.resolve("container").resolve("child"), List.of(7L, 8L));
    kernel.killsToDie.put(7L, Integer.MAX_VALUE);
    kernel.killsToDie.put(8L, Integer.MAX_VALUE);

    FileSystemException e = assertThrows(FileSystemException.class, () -> new CgroupTreeRemoval(kernel).remove(pod));

    assertEquals(pod.resolve("container").resolve("child").toString(), e.getFile());
    assertEquals("Device or resource busy after 5 s (processes still in it: [7, 8])", e.getReason());
    assertTrue(kernel.now >= CgroupTreeRemoval.BUSY_WAIT.toNanos());
    assertTrue(kernel.now < CgroupTreeRemoval.BUSY_WAIT.toNanos() + Duration.ofMillis(500).toNanos(),
        "waited " + kernel.now + " ns");
    assertTrue(Files.isDirectory(pod), "the busy cgroup's parents stay");
  }

  @Test
  void anErrorOtherThanBusyIsNotRetried() throws Exception {
    Path pod = tree();
    ScriptedKernel kernel = new ScriptedKernel() {
      @Override
      public void rmdir(Path dir) throws IOException {
        calls.add("rmdir " + dir.getFileName());
        throw new AccessDeniedException(dir.toString());
      }
    };
    assertThrows(AccessDeniedException.class, () -> new CgroupTreeRemoval(kernel).remove(pod));
    assertEquals(List.of("rmdir child"), kernel.calls);
  }
}
