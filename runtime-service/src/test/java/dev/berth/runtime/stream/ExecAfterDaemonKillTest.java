package dev.berth.runtime.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.cri.v1.ExecRequest;
import dev.berth.cri.v1.ExecSyncRequest;
import dev.berth.runtime.testing.PodTestCase;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A daemon killed while execs run leaves their conmons and directories behind; the next daemon
 * ends them before it serves, and removing the pod leaves no exec directory, socket link or
 * conmon.
 */
@Tag("integration")
class ExecAfterDaemonKillTest extends PodTestCase {
  private static final Duration WAIT = Duration.ofSeconds(20);

  @Test
  void execsOfAKilledDaemonAreEndedAtRestartAndNothingOfThemOutlivesThePod() throws Exception {
    String pod = env.runPod();
    String sleeper = env.runContainer(pod, env.containerConfig("sleeper", "sleep", "3600").build());
    Thread execSync = Thread.ofPlatform().daemon().start(() -> {
      try {
        env.runtime().execSync(ExecSyncRequest.newBuilder().setContainerId(sleeper)
            .addCmd("sleep").addCmd("3603").build());
      } catch (RuntimeException expected) {
        // The daemon dies under it.
      }
    });
    String url = env.runtime().exec(ExecRequest.newBuilder().setContainerId(sleeper).addCmd("sleep").addCmd("3604")
        .setStdin(true).setStdout(true).build()).getUrl();
    try (WebSocketTestClient client = new WebSocketTestClient()) {
      assertEquals(101, client.connect(url, List.of("v5.channel.k8s.io")));
      awaitProcesses("sleep 3603", 1);
      awaitProcesses("sleep 3604", 1);
      assertEquals(2, execDirs().size(), "each exec has its directory while it runs");

      env.restartAfterKill();
    }
    execSync.join(WAIT.toMillis());

    assertEquals(List.of(), execDirs(), "the new daemon removed the old execs' directories");
    assertEquals(List.of(), execConmons(), "the new daemon ended the old execs' conmons");
    awaitProcesses("sleep 3603", 0);
    awaitProcesses("sleep 3604", 0);

    env.removeAllPods();
    assertEquals(List.of(), execDirs());
    assertEquals(List.of(), execConmons());
    try (Stream<Path> links = Files.list(stateDir().resolve("sockets"))) {
      assertEquals(List.of(), links.toList(), "no attach socket link is left");
    }
  }

  private static Path stateDir() {
    return env.daemon().dir().resolve("state");
  }

  private static List<Path> execDirs() throws IOException {
    try (Stream<Path> entries = Files.list(stateDir().resolve("shims"))) {
      return entries.filter(entry -> entry.getFileName().toString().contains(".exec-")).toList();
    }
  }

  /** conmons of this daemon's state dir that run an exec ({@code -e}). */
  private static List<String> execConmons() throws IOException {
    return commandLines().stream()
        .filter(cmd -> cmd.startsWith("/usr/bin/conmon ") && cmd.contains(" -e ") && cmd.contains(stateDir().toString()))
        .toList();
  }

  private static List<String> commandLines() throws IOException {
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      return procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).map(p -> {
        try {
          String stat = Files.readString(p.resolve("stat"));
          if (stat.charAt(stat.lastIndexOf(')') + 2) == 'Z') {
            return "";
          }
          return new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8).replace('\0', ' ').trim();
        } catch (IOException gone) {
          return "";
        }
      }).toList();
    }
  }

  /** Waits until exactly {@code count} processes in this daemon's pods run {@code cmdline}. */
  private static void awaitProcesses(String cmdline, long count) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      long running;
      try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
        running = procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).filter(p -> {
          try {
            String stat = Files.readString(p.resolve("stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z'
                && new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8).replace('\0', ' ')
                    .trim().equals(cmdline)
                && Files.readString(p.resolve("cgroup")).contains(env.cgroupRoot());
          } catch (IOException gone) {
            return false;
          }
        }).count();
      }
      if (running == count) {
        return;
      }
      assertTrue(System.nanoTime() < deadline, running + " x '" + cmdline + "', not " + count);
      Thread.sleep(50);
    }
  }
}
