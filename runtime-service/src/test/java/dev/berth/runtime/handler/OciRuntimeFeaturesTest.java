package dev.berth.runtime.handler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class OciRuntimeFeaturesTest {

  @Test
  void runcOneOneListsRroAndNoIdmap() {
    // Trimmed from runc 1.1.5's own output.
    OciRuntimeFeatures features = OciRuntimeFeatures.parse("""
        {"ociVersionMin": "1.0.0", "mountOptions": ["bind", "rbind", "ro", "rro", "rrw"],
         "linux": {"namespaces": ["user"], "cgroup": {"v1": true}},
         "annotations": {"io.github.seccomp.libseccomp.version": "2.5.4",
                         "org.opencontainers.runc.version": "1.1.5+ds1"}}
        """);
    assertTrue(features.supportsMountOption("rro"));
    assertFalse(features.idmapMounts());
    assertTrue(features.supportsUserNamespaces());
    assertTrue(features.runc(), "runc's own version annotation");
  }

  @Test
  void idmapMountExtensionIsRead() {
    OciRuntimeFeatures features = OciRuntimeFeatures.parse("""
        {"mountOptions": ["rbind"], "linux": {"mountExtensions": {"idmap": {"enabled": true}}}}
        """);
    assertFalse(features.supportsMountOption("rro"));
    assertTrue(features.idmapMounts());
    assertFalse(features.supportsUserNamespaces());
    assertFalse(features.runc(), "no runc version annotation");
  }

  @Test
  void anythingButAFeaturesDocumentProvesNothing() {
    assertEquals(OciRuntimeFeatures.NONE, OciRuntimeFeatures.parse("unknown command features"));
    assertEquals(OciRuntimeFeatures.NONE, OciRuntimeFeatures.parse("[1, 2]"));
    assertEquals(OciRuntimeFeatures.NONE, OciRuntimeFeatures.parse(""));
  }

  @Test
  void aMissingBinaryProvesNothing() {
    assertEquals(OciRuntimeFeatures.NONE, OciRuntimeFeatures.probe(Path.of("/no/such/runtime")));
  }
}
