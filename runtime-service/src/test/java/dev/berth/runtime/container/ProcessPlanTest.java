package dev.berth.runtime.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.runtime.model.CriException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcessPlanTest {

  @TempDir
  Path rootfs;

  private final ProcessPlan.ImageDefaults image = new ProcessPlan.ImageDefaults(
      List.of("/entry"), List.of("default-arg"), List.of("PATH=/image/bin", "MODE=image"), "/srv", "www");

  @BeforeEach
  void passwd() throws Exception {
    Files.createDirectories(rootfs.resolve("etc"));
    Files.writeString(rootfs.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nwww:x:33:34:www:/var/www:/bin/sh\n");
    Files.writeString(rootfs.resolve("etc/group"), "root:x:0:\nstaff:x:50:\n");
  }

  private static ProcessPlan.Requested requested(List<String> command, List<String> args) {
    return new ProcessPlan.Requested(command, args, List.of(), "", null, null, null);
  }

  @Test
  void imageEntrypointAndCmdRunWhenNothingIsRequested() {
    ProcessPlan plan = ProcessPlan.merge(image, requested(List.of(), List.of()), ImageUsers.read(rootfs));
    assertEquals(List.of("/entry", "default-arg"), plan.args());
    assertEquals("/srv", plan.workingDir());
    assertEquals(33, plan.uid());
    assertEquals(34, plan.gid());
  }

  @Test
  void argsReplaceCmdAndCommandReplacesBoth() {
    assertEquals(List.of("/entry", "mine"), ProcessPlan.merge(image, requested(List.of(), List.of("mine")), ImageUsers.read(rootfs)).args());
    assertEquals(List.of("/bin/sh", "-c", "x"),
        ProcessPlan.merge(image, requested(List.of("/bin/sh"), List.of("-c", "x")), ImageUsers.read(rootfs)).args());
  }

  @Test
  void requestedEnvOverridesTheImagesByName() {
    ProcessPlan plan = ProcessPlan.merge(image, new ProcessPlan.Requested(List.of(), List.of(),
        List.of("MODE=pod", "EXTRA=1"), "/work", null, null, null), ImageUsers.read(rootfs));
    assertEquals(List.of("PATH=/image/bin", "MODE=pod", "EXTRA=1"), plan.env());
    assertEquals("/work", plan.workingDir());
  }

  @Test
  void userSpecsResolveInTheImagesFiles() {
    ProcessPlan.ImageDefaults withGroup = new ProcessPlan.ImageDefaults(List.of("/x"), List.of(), List.of(), "", "www:staff");
    ProcessPlan plan = ProcessPlan.merge(withGroup, requested(List.of(), List.of()), ImageUsers.read(rootfs));
    assertEquals(33, plan.uid());
    assertEquals(50, plan.gid());
    ProcessPlan numeric = ProcessPlan.merge(new ProcessPlan.ImageDefaults(List.of("/x"), List.of(), List.of(), "", "1000:2000"),
        requested(List.of(), List.of()), ImageUsers.read(rootfs));
    assertEquals(1000, numeric.uid());
    assertEquals(2000, numeric.gid());
  }

  @Test
  void runAsUserWinsAndRunAsGroupAloneIsRefused() {
    ProcessPlan plan = ProcessPlan.merge(image,
        new ProcessPlan.Requested(List.of(), List.of(), List.of(), "", 0L, null, null), ImageUsers.read(rootfs));
    assertEquals(0, plan.uid());
    assertEquals(0, plan.gid());
    assertThrows(CriException.InvalidArgument.class, () -> ProcessPlan.merge(image,
        new ProcessPlan.Requested(List.of(), List.of(), List.of(), "", null, 5L, null), ImageUsers.read(rootfs)));
  }

  @Test
  void anUnknownUserNameIsNamed() {
    CriException e = assertThrows(CriException.InvalidArgument.class, () -> ProcessPlan.merge(image,
        new ProcessPlan.Requested(List.of(), List.of(), List.of(), "", null, null, "nobody-here"), ImageUsers.read(rootfs)));
    assertEquals("user \"nobody-here\" not found in the image's /etc/passwd", e.getMessage());
  }

  @Test
  void noCommandAtAllIsRefused() {
    ProcessPlan.ImageDefaults empty = new ProcessPlan.ImageDefaults(List.of(), List.of(), List.of(), "", "");
    assertThrows(CriException.InvalidArgument.class, () -> ProcessPlan.merge(empty, requested(List.of(), List.of()), ImageUsers.read(rootfs)));
  }

  @Test
  void malformedUserSpecsAreInvalidArgumentsNotCrashes() throws Exception {
    Files.writeString(rootfs.resolve("etc/group"), "root:x:0:\nodd:x:notanumber:\n");
    for (String user : List.of(":50", "99999999999999999999", "4294967296", "www:99999999999999999999", "www:odd")) {
      ProcessPlan.ImageDefaults withUser = new ProcessPlan.ImageDefaults(List.of("/x"), List.of(), List.of(), "", user);
      CriException.InvalidArgument e = assertThrows(CriException.InvalidArgument.class,
          () -> ProcessPlan.merge(withUser, requested(List.of(), List.of()), ImageUsers.read(rootfs)), user);
      assertTrue(e.getMessage().contains("user") || e.getMessage().contains("group"), e.getMessage());
    }
  }

  @Test
  void aHugeNumericStopSignalIsAnInvalidArgument() {
    assertThrows(CriException.InvalidArgument.class, () -> Signals.number("99999999999"));
    assertEquals(15, Signals.number("15"));
  }
}
