package dev.berth.runtime.cri;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.cri.v1.IDMapping;
import dev.berth.cri.v1.NamespaceMode;
import dev.berth.cri.v1.NamespaceOption;
import dev.berth.cri.v1.UserNamespace;
import dev.berth.runtime.handler.HandlerFeatures;
import dev.berth.runtime.handler.RuntimeHandler;
import dev.berth.runtime.model.CriException;
import dev.berth.runtime.userns.IdMapping;
import dev.berth.runtime.userns.UserNamespaceMapping;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The userns_options critest v1.32 sends, with a handler that has user namespaces and one that has not. */
class UserNamespaceOptionsTest {

  private static final RuntimeHandler WITH = new RuntimeHandler("", Path.of("/usr/sbin/runc"),
      new HandlerFeatures(true, true));
  private static final RuntimeHandler WITHOUT = new RuntimeHandler("", Path.of("/usr/sbin/runc"),
      new HandlerFeatures(true, false));
  private static final IDMapping DEFAULT = IDMapping.newBuilder().setContainerId(0).setHostId(1000)
      .setLength(100000).build();

  private static UserNamespace pod(IDMapping... mappings) {
    UserNamespace.Builder userns = UserNamespace.newBuilder().setMode(NamespaceMode.POD);
    for (IDMapping m : mappings) {
      userns.addUids(m).addGids(m);
    }
    return userns.build();
  }

  private static String refusal(Class<? extends CriException> type, UserNamespace userns, RuntimeHandler handler) {
    return assertThrows(type, () -> UserNamespaceOptions.check(userns, handler)).getMessage();
  }

  @Test
  void nodeIsTheHostsNamespaceAndAlwaysFine() {
    assertDoesNotThrow(() -> UserNamespaceOptions.check(
        UserNamespace.newBuilder().setMode(NamespaceMode.NODE).build(), WITHOUT));
  }

  @Test
  void podWithOneMappingOfIdZeroIsFineWhereTheHandlerHasUserNamespaces() {
    assertDoesNotThrow(() -> UserNamespaceOptions.check(pod(DEFAULT), WITH));
    assertTrue(refusal(CriException.FailedPrecondition.class, pod(DEFAULT), WITHOUT)
        .contains("does not support user namespaces on this node"));
  }

  @Test
  void wrongMappingsAreInvalidWhateverTheHandler() {
    assertTrue(refusal(CriException.InvalidArgument.class,
        pod(DEFAULT, DEFAULT.toBuilder().setHostId(2000).build()), WITH).contains("exactly one mapping, got 2"));
    assertTrue(refusal(CriException.InvalidArgument.class, pod(DEFAULT.toBuilder().setContainerId(1).build()),
        WITHOUT).contains("must map container id 0"));
    assertTrue(refusal(CriException.InvalidArgument.class, pod(), WITH).contains("exactly one mapping, got 0"));
    assertTrue(refusal(CriException.InvalidArgument.class,
        pod(DEFAULT.toBuilder().setHostId(-1).setLength(2).build()), WITH).contains("32-bit id space"));
  }

  @Test
  void aPodMappingIsReadAsUnsignedIds() {
    IDMapping high = IDMapping.newBuilder().setContainerId(0).setHostId((int) 3_000_000_000L).setLength(65536).build();
    UserNamespaceMapping mapping = UserNamespaceOptions.podMapping(NamespaceOption.newBuilder()
        .setUsernsOptions(pod(high)).build());
    assertEquals(new IdMapping(0, 3_000_000_000L, 65536), mapping.uids());
    assertEquals(mapping.uids(), mapping.gids());
  }

  @Test
  void statusReportsTheModeAndTheMappingsAsSent() {
    IDMapping high = IDMapping.newBuilder().setContainerId(0).setHostId((int) 3_000_000_000L).setLength(65536).build();
    UserNamespaceMapping mapping = UserNamespaceOptions.podMapping(NamespaceOption.newBuilder()
        .setUsernsOptions(pod(high)).build());
    assertEquals(pod(high), UserNamespaceOptions.status(mapping));
    assertEquals(NamespaceMode.NODE, UserNamespaceOptions.status(null).getMode());
  }

  @Test
  void nodeOrNoOptionsIsNoMappingOfItsOwn() {
    assertNull(UserNamespaceOptions.podMapping(NamespaceOption.getDefaultInstance()));
    assertNull(UserNamespaceOptions.podMapping(NamespaceOption.newBuilder()
        .setUsernsOptions(UserNamespace.newBuilder().setMode(NamespaceMode.NODE)).build()));
  }

  @Test
  void aPodOfItsOwnUserNamespaceSharesNoNamespaceOfTheNode() {
    for (NamespaceOption.Builder host : List.of(NamespaceOption.newBuilder().setNetwork(NamespaceMode.NODE),
        NamespaceOption.newBuilder().setPid(NamespaceMode.NODE), NamespaceOption.newBuilder().setIpc(NamespaceMode.NODE))) {
      String message = assertThrows(CriException.InvalidArgument.class,
          () -> UserNamespaceOptions.podMapping(host.setUsernsOptions(pod(DEFAULT)).build())).getMessage();
      assertTrue(message.startsWith("userns_options mode POD cannot be combined with namespace_options "), message);
    }
  }

  @Test
  void containerAndTargetAreNoUserNamespaceModes() {
    for (NamespaceMode mode : new NamespaceMode[] {NamespaceMode.CONTAINER, NamespaceMode.TARGET}) {
      assertTrue(refusal(CriException.InvalidArgument.class, UserNamespace.newBuilder().setMode(mode).build(), WITH)
          .contains("mode " + mode + " is not supported"));
    }
  }
}
