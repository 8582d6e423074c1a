package dev.berth.runtime.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A cgroup removed on this host's own hierarchies while a process is still in it (as a
 * container's cgroup is when a process of it outlives runc delete): the process is ended and every
 * hierarchy's directory goes.
 */
@Tag("integration")
class CgroupRemovalOnHostTest {

  @Test
  void aProcessLeftInTheCgroupIsEndedAndTheCgroupRemoved() throws Exception {
    CgroupModel host = CgroupModel.detect();
    String cgroup = "/berthtest-removal-" + ProcessHandle.current().pid() + "/container";
    host.create(cgroup);
    Process sleeper = new ProcessBuilder("sleep", "600").start();
    try {
      Path procsDir = host.reader().processesDir(cgroup).orElseThrow();
      Files.writeString(procsDir.resolve("cgroup.procs"), Long.toString(sleeper.pid()));
      assertEquals(String.valueOf(sleeper.pid()), Files.readString(procsDir.resolve("cgroup.procs")).trim());

      host.remove("/berthtest-removal-" + ProcessHandle.current().pid());

      assertTrue(sleeper.waitFor(5, TimeUnit.SECONDS), "the process in the cgroup was ended");
      assertEquals(137, sleeper.exitValue(), "ended by SIGKILL");
      for (Path root : host.hierarchyRoots()) {
        assertFalse(Files.exists(root.resolve(cgroup.substring(1)).getParent()), root + " still has the cgroup");
      }
    } finally {
      sleeper.destroyForcibly();
      host.remove("/berthtest-removal-" + ProcessHandle.current().pid());
    }
  }
}
