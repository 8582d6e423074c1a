package dev.berth.runtime.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class OciSpecProcessTest {

  private static final OciSpec.Process MAIN = new OciSpec.Process(false, new OciSpec.User(1000, 1000, List.of(1000L)),
      List.of("/bin/server"), List.of("PATH=/bin", "MODE=pod"), "/work", OciSpec.Capabilities.of(List.of("CAP_KILL")),
      true, 100);

  @Test
  void anExecKeepsEverythingButTheCommandAndTerminal() {
    assertEquals(new OciSpec.Process(false, MAIN.user(), List.of("ls", "-l"), MAIN.env(), "/work", MAIN.capabilities(),
        true, 100), MAIN.forExec(List.of("ls", "-l"), false));
  }

  @Test
  void aTerminalExecGetsATermUnlessTheContainerHasOne() {
    assertEquals(List.of("PATH=/bin", "MODE=pod", "TERM=xterm"), MAIN.forExec(List.of("sh"), true).env());
    OciSpec.Process withTerm = new OciSpec.Process(false, MAIN.user(), MAIN.args(), List.of("TERM=vt100"), "/",
        MAIN.capabilities(), false, null);
    assertEquals(List.of("TERM=vt100"), withTerm.forExec(List.of("sh"), true).env());
  }

  @Test
  void nullFieldsAreLeftOutAndEmptyListsKept() throws Exception {
    OciSpec.Process process = new OciSpec.Process(false, OciDefaults.ROOT, List.of("sh"), List.of(), "/",
        OciSpec.Capabilities.of(List.of()), false, null);
    assertEquals("{\"terminal\":false,\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],\"env\":[],\"cwd\":\"/\","
        + "\"capabilities\":{\"bounding\":[],\"effective\":[],\"permitted\":[]},\"noNewPrivileges\":false}",
        OciSpecJson.text(process).replaceAll("\\s", ""));
  }

  @Test
  void aSpecReadsBackAsTheSameValue() throws Exception {
    OciSpec spec = new OciSpec(OciSpec.VERSION, MAIN, new OciSpec.Root("/rootfs", true), "pod",
        OciDefaults.standardMounts(false), new OciSpec.Linux(java.util.Map.of("kernel.shm_rmid_forced", "1"),
            new OciResources(List.of(OciResources.DeviceRule.all(false)), new OciResources.Memory(1L << 20, null),
                null, new OciResources.Pids(100), null),
            "/kubepods/c", new NamespacePlan("/run/netns/p", NamespacePlan.NEW, NamespacePlan.HOST, "",
                "/run/podns/p/user").namespaces(),
            null, null, "rslave", OciDefaults.MASKED_PATHS, List.of(),
            List.of(new OciSpec.IdMapping(0, 3_000_000, 65536)), List.of(new OciSpec.IdMapping(0, 4_000_000, 65536))));
    assertEquals(spec, OciSpecJson.parse(OciSpecJson.text(spec)));
  }
}
