package dev.berth.shim;

import dev.berth.shim.internal.ShimPaths;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Collections;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConmonCommandTest {
  private final ShimConfig config = new ShimConfig(Path.of("/usr/bin/conmon"), Path.of("/usr/sbin/runc"),
      Path.of("/run/r"), Path.of("/run/e"), Path.of("/run/p"), Path.of("/run/s"));
  private final ConmonCommand command = new ConmonCommand(config, new ShimPaths(config.persistDir(), config.exitDir(), config.socketDir()));

  @Test
  void createPassesRuntimeRootThroughRuntimeArgs() {
    List<String> argv = command.create(CreateRequest.of("c1", Path.of("/b/c1"), Path.of("/l/c1.log")));
    assertEquals("/usr/bin/conmon", argv.getFirst());
    assertTrue(Collections.indexOfSubList(argv,
        List.of("--runtime-arg", "--root", "--runtime-arg", "/run/r")) > 0, argv.toString());
    assertTrue(Collections.indexOfSubList(argv, List.of("-l", "k8s-file:/l/c1.log")) > 0, argv.toString());
    assertTrue(Collections.indexOfSubList(argv, List.of("-P", "/run/p/c1/conmon.pid")) > 0, argv.toString());
    assertTrue(Collections.indexOfSubList(argv, List.of("--exit-dir", "/run/e")) > 0, argv.toString());
    assertTrue(Collections.indexOfSubList(argv, List.of("-b", "/b/c1")) > 0, argv.toString());
  }

  @Test
  void aRestoreAsksConmonToRestoreWithTheConfiguredCriu() {
    ShimConfig withCriu = new ShimConfig(config.conmon(), config.runtime(), config.runtimeRoot(), config.exitDir(),
        config.persistDir(), config.socketDir(), List.of(), Path.of("/opt/criu/criu"));
    List<String> argv = new ConmonCommand(withCriu, new ShimPaths(withCriu.persistDir(), withCriu.exitDir(), withCriu.socketDir())).create(
        new CreateRequest("c1", Path.of("/b/c1"), null, false, false, false, null, "", Path.of("/b/c1/checkpoint")));
    assertTrue(Collections.indexOfSubList(argv, List.of("--restore", "/b/c1/checkpoint")) > 0, argv.toString());
    assertTrue(Collections.indexOfSubList(argv,
        List.of("--runtime-arg", "--criu", "--runtime-arg", "/opt/criu/criu")) > 0, argv.toString());
    List<String> plain = command.create(CreateRequest.of("c1", Path.of("/b/c1"), null));
    assertFalse(plain.contains("--restore") || plain.contains("--criu"), plain.toString());
  }

  @Test
  void createWithoutLogPathUsesTheNoneDriver() {
    List<String> argv = command.create(CreateRequest.of("c1", Path.of("/b/c1"), null));
    assertTrue(Collections.indexOfSubList(argv, List.of("-l", "none")) > 0, argv.toString());
  }

  @Test
  void stdinThatStaysOpenAsksConmonToLeaveItOpen() {
    List<String> argv = command.create(new CreateRequest("c1", Path.of("/b"), null, true, false, true, null));
    assertTrue(argv.contains("-i") && argv.contains("--leave-stdin-open") && argv.contains("-t"), argv.toString());
    List<String> once = command.create(new CreateRequest("c1", Path.of("/b"), null, true, true, false, null));
    assertFalse(once.contains("--leave-stdin-open"), once.toString());
  }

  @Test
  void execHasNoBundleAndNoExitDir() {
    List<String> argv = command.exec(config.defaultRuntime(), "c1", "x1", Path.of("/run/p/x"),
        Path.of("/run/p/x/process.json"), Path.of("/run/p/x/log"), 5, 1024);
    assertFalse(argv.contains("-b"), argv.toString());
    assertFalse(argv.contains("--exit-dir"), argv.toString());
    assertTrue(Collections.indexOfSubList(argv, List.of("-c", "c1", "-u", "x1")) > 0, argv.toString());
    assertTrue(Collections.indexOfSubList(argv, List.of("-T", "5")) > 0, argv.toString());
  }

  @Test
  void execCapsItsLogAndWritesAConmonPidFile() {
    List<String> argv = command.exec(config.defaultRuntime(), "c1", "x1", Path.of("/run/p/x"),
        Path.of("/run/p/x/process.json"),
        Path.of("/run/p/x/log"), 5, 1024);
    assertTrue(Collections.indexOfSubList(argv, List.of("--log-global-size-max", "1024")) > 0, argv.toString());
    assertFalse(argv.contains("--log-size-max"), "a rotating log would keep the end, not the start: " + argv);
    assertTrue(Collections.indexOfSubList(argv, List.of("-P", "/run/p/x/conmon.pid")) > 0, argv.toString());
  }
}
