package dev.berth.runtime.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.berth.runtime.oci.OciSpec;
import dev.berth.runtime.userns.IdMapping;
import dev.berth.runtime.userns.UserNamespaceMapping;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The spec of a container joining its pod's pinned user namespace, as runc 1.1 needs it. */
class ContainerOciSpecUserNamespaceTest {

  private static final UserNamespaceMapping POD = new UserNamespaceMapping(new IdMapping(0, 3_000_000, 65536),
      new IdMapping(0, 4_000_000, 65536));

  private static OciSpec.Linux linux(boolean ownUserNamespace) {
    TranslationFixture fixture = new TranslationFixture();
    if (ownUserNamespace) {
      fixture.namespaces = fixture.namespaces.withUser("/state/podns/pod/user");
      fixture.userNamespace = Optional.of(POD);
    }
    return fixture.translate().spec().linux();
  }

  @Test
  void theUserNamespaceIsJoinedFirstByPath() {
    List<OciSpec.Namespace> namespaces = linux(true).namespaces();
    assertEquals(new OciSpec.Namespace("user", "/state/podns/pod/user"), namespaces.getFirst());
    assertEquals(List.of("user", "mount", "network", "pid", "ipc", "uts"),
        namespaces.stream().map(OciSpec.Namespace::type).toList());
  }

  @Test
  void theMappingsAreInTheSpecTooForRuncToOwnItsFilesByThem() {
    OciSpec.Linux linux = linux(true);
    assertEquals(List.of(new OciSpec.IdMapping(0, 3_000_000, 65536)), linux.uidMappings());
    assertEquals(List.of(new OciSpec.IdMapping(0, 4_000_000, 65536)), linux.gidMappings());
  }

  @Test
  void aPodInTheNodesUserNamespaceHasNeitherTheNamespaceNorMappings() {
    OciSpec.Linux linux = linux(false);
    assertEquals(List.of("mount", "network", "pid", "ipc", "uts"),
        linux.namespaces().stream().map(OciSpec.Namespace::type).toList());
    assertNull(linux.uidMappings());
    assertNull(linux.gidMappings());
  }
}
