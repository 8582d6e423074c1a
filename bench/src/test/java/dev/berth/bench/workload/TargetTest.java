package dev.berth.bench.workload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class TargetTest {

  @Test
  void aTargetSpecNamesItsSocketDaemonShimsAndMetrics() {
    Target target = Target.parse("name=berth,socket=unix:///tmp/b.sock,pid=42,shim=conmon,shim-marker=/tmp/bs/,"
        + "metrics=http://127.0.0.1:9767/metrics,cgroup-parent=/bench,cold=/tmp/cold.json");
    assertEquals("berth", target.name());
    assertEquals(Path.of("/tmp/b.sock"), target.socket());
    assertEquals(42, target.daemonPid().getAsLong());
    assertEquals("conmon", target.shim());
    assertEquals(URI.create("http://127.0.0.1:9767/metrics"), target.metrics());
    assertEquals("/bench", target.cgroupParent());
    assertEquals(Path.of("/tmp/cold.json"), target.coldStart());
  }

  @Test
  void withoutColdThereIsNoColdStartResult() {
    assertEquals(null, Target.parse("socket=/s").coldStart());
  }

  @Test
  void theSocketIsRequiredAndUnknownFieldsAreNamed() {
    assertThrows(IllegalArgumentException.class, () -> Target.parse("name=x"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Target.parse("socket=/s,colour=blue"));
    assertTrue(e.getMessage().contains("colour"), e.getMessage());
  }
}
