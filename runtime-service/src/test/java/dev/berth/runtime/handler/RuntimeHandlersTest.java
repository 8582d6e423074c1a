package dev.berth.runtime.handler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.runtime.config.BerthConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RuntimeHandlersTest {

  private static final Path RUNC = Path.of("/usr/sbin/runc");
  private static final Path CRUN = Path.of("/usr/bin/crun");
  private static final OciRuntimeFeatures WITH_RRO = new OciRuntimeFeatures(Set.of("rbind", "rro"), false,
      Set.of("user", "network"), true);

  private static BerthConfig.Runtime runtime(Map<String, Path> handlers) {
    BerthConfig.Runtime defaults = BerthConfig.defaults().runtime();
    return new BerthConfig.Runtime(RUNC, defaults.conmon(), defaults.catatonit(), defaults.defaultCgroupParent(),
        0, defaults.infraContainer(), handlers, defaults.criu(), defaults.spareInfras());
  }

  @Test
  void theDefaultComesFirstThenTheNamedOnesByNameAndEachBinaryIsAskedOnce() {
    List<Path> asked = new CopyOnWriteArrayList<>();
    RuntimeHandlers handlers = RuntimeHandlers.of(runtime(Map.of("runc", RUNC, "crun", CRUN)),
        new KernelVersion(6, 1), true, binary -> {
          asked.add(binary);
          return binary.equals(RUNC) ? WITH_RRO : OciRuntimeFeatures.NONE;
        });

    assertEquals(List.of("", "crun", "runc"), handlers.names());
    assertEquals(2, asked.size(), asked.toString());
    assertEquals(Set.of("", "runc"), handlers.runcHandlers(), "the handlers whose binary said it is runc");
    assertEquals(Set.of(RUNC, CRUN), Set.copyOf(asked));
    assertTrue(handlers.find("").orElseThrow().features().recursiveReadOnlyMounts());
    assertTrue(handlers.find("runc").orElseThrow().features().recursiveReadOnlyMounts());
    assertFalse(handlers.find("crun").orElseThrow().features().recursiveReadOnlyMounts());
    assertTrue(handlers.find("runc").orElseThrow().features().userNamespaces());
    assertFalse(handlers.find("crun").orElseThrow().features().userNamespaces());
    assertTrue(handlers.find("kata").isEmpty());
  }

  @Test
  void theRuntimesAreAskedAtTheSameTime() {
    // Each ask waits until both runtimes are being asked: asked one after the other, the first
    // would give up and report no features.
    CountDownLatch bothAsked = new CountDownLatch(2);
    RuntimeHandlers handlers = RuntimeHandlers.of(runtime(Map.of("crun", CRUN)), new KernelVersion(6, 1), true,
        binary -> {
          bothAsked.countDown();
          try {
            return bothAsked.await(10, TimeUnit.SECONDS) ? WITH_RRO : OciRuntimeFeatures.NONE;
          } catch (InterruptedException e) {
            throw new IllegalStateException(e);
          }
        });

    assertTrue(handlers.find("").orElseThrow().features().recursiveReadOnlyMounts());
    assertTrue(handlers.find("crun").orElseThrow().features().recursiveReadOnlyMounts());
  }

  @Test
  void rroNeedsTheKernelsMountSetattrToo() {
    assertFalse(RuntimeHandlers.featuresOf(WITH_RRO, new KernelVersion(5, 10), true).recursiveReadOnlyMounts());
    assertTrue(RuntimeHandlers.featuresOf(WITH_RRO, new KernelVersion(5, 12), true).recursiveReadOnlyMounts());
  }

  @Test
  void userNamespacesNeedARuntimeThatJoinsOneAKernelWithMountSetattrAndANodeThatIdmaps() {
    assertTrue(RuntimeHandlers.featuresOf(WITH_RRO, new KernelVersion(6, 1), true).userNamespaces());
    assertFalse(RuntimeHandlers.featuresOf(WITH_RRO, new KernelVersion(6, 1), false).userNamespaces());
    assertFalse(RuntimeHandlers.featuresOf(WITH_RRO, new KernelVersion(5, 10), true).userNamespaces());
    // crun 1.8 has no features command: nothing proves it can join a user namespace.
    assertFalse(RuntimeHandlers.featuresOf(OciRuntimeFeatures.NONE, new KernelVersion(6, 1), true).userNamespaces());
    assertFalse(RuntimeHandlers.featuresOf(new OciRuntimeFeatures(Set.of("rro"), false, Set.of("network"), false),
        new KernelVersion(6, 1), true).userNamespaces());
  }

  @Test
  void aMissingBinaryIsTheHandlersProblem() {
    RuntimeHandler missing = new RuntimeHandler("kata", Path.of("/no/such/kata-runtime"),
        new HandlerFeatures(false, false));
    assertEquals("runtime handler \"kata\": OCI runtime /no/such/kata-runtime does not exist",
        missing.problem().orElseThrow());
  }
}
