package dev.berth.runtime.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.runtime.model.CriException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SeccompProfilesTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void theDefaultProfileLosesNothingInTheTypedRecord() throws Exception {
    try (InputStream in = SeccompProfiles.class.getResourceAsStream("seccomp-default.json")) {
      Seccomp typed = SeccompProfiles.resolve(SeccompProfiles.RUNTIME_DEFAULT).orElseThrow();
      assertEquals(JSON.readTree(in), JSON.readTree(OciSpecJson.text(wrap(typed))).get("linux").get("seccomp"));
    }
  }

  @Test
  void unconfinedHasNoFilter() {
    assertEquals(Optional.empty(), SeccompProfiles.resolve(SeccompProfiles.UNCONFINED));
  }

  @Test
  void aLocalhostProfileIsReadIntoTheOciShape(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("audit.json"), """
        {"defaultAction": "SCMP_ACT_LOG", "archMap": [{"architecture": "SCMP_ARCH_X86_64"}],
         "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "includes": {}}]}""");
    Seccomp profile = SeccompProfiles.resolve(SeccompProfiles.LOCALHOST_PREFIX + file).orElseThrow();
    assertEquals(new Seccomp("SCMP_ACT_LOG", null, null, null, null, null,
        java.util.List.of(new Seccomp.Syscall(java.util.List.of("read"), "SCMP_ACT_ALLOW", null, null))), profile);
  }

  @Test
  void aLocalhostProfileWithoutADefaultActionIsRefusedNamingTheFile(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("empty.json"), "{\"syscalls\": []}");
    CriException e = assertThrows(CriException.InvalidArgument.class,
        () -> SeccompProfiles.resolve(SeccompProfiles.LOCALHOST_PREFIX + file));
    assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
  }

  private static OciSpec wrap(Seccomp seccomp) {
    return new OciSpec(null, null, null, null, null,
        new OciSpec.Linux(null, null, null, null, null, seccomp, null, null, null, null, null));
  }
}
