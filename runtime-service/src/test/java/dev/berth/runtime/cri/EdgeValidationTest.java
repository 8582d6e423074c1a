package dev.berth.runtime.cri;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.berth.cri.v1.ContainerConfig;
import dev.berth.cri.v1.ContainerMetadata;
import dev.berth.cri.v1.DNSConfig;
import dev.berth.cri.v1.IDMapping;
import dev.berth.cri.v1.ImageSpec;
import dev.berth.cri.v1.KeyValue;
import dev.berth.cri.v1.Mount;
import dev.berth.cri.v1.PodSandboxConfig;
import dev.berth.cri.v1.PodSandboxMetadata;
import dev.berth.runtime.model.CriException;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** The edge's checks of names, identifiers and paths, without a daemon. */
class EdgeValidationTest {

  private static final String FORGED = "web\n2026-12-06 12:00:00.000 ERROR [main] forged line";

  private static PodSandboxConfig.Builder pod() {
    return PodSandboxConfig.newBuilder().setMetadata(PodSandboxMetadata.newBuilder()
        .setName("web").setUid("6f3c2d9e-1b2a-4c5d-8e7f-0123456789ab").setNamespace("default").setAttempt(1))
        .setHostname("web").setLogDirectory("/var/log/pods/x");
  }

  private static ContainerConfig.Builder container() {
    return ContainerConfig.newBuilder().setMetadata(ContainerMetadata.newBuilder().setName("app"))
        .setImage(ImageSpec.newBuilder().setImage("docker.io/library/busybox:1")).setLogPath("app/0.log");
  }

  private static String podRefusal(UnaryOperator<PodSandboxConfig.Builder> change) {
    return assertThrows(CriException.InvalidArgument.class,
        () -> SandboxTranslator.spec(change.apply(pod()).build(), "")).getMessage();
  }

  private static String containerRefusal(UnaryOperator<ContainerConfig.Builder> change) {
    return assertThrows(CriException.InvalidArgument.class,
        () -> ContainerTranslator.request(change.apply(container()).build())).getMessage();
  }

  private static void assertOneLine(String message) {
    assertFalse(message.contains("\n") || message.contains("\r") || message.contains("\0"), message);
  }

  @Test
  void aWellFormedPodAndContainerPass() {
    assertEquals("web", SandboxTranslator.spec(pod().putAnnotations("kubectl.kubernetes.io/last-applied-configuration",
        "{\"a\": 1}\n").build(), "").pod().name());
    assertEquals("app", ContainerTranslator.request(container().build()).name());
  }

  @Test
  void podMetadataWithControlCharactersIsRefusedNamingTheField() {
    String name = podRefusal(b -> b.setMetadata(b.getMetadata().toBuilder().setName(FORGED)));
    assertTrue(name.startsWith("pod sandbox config metadata.name \"web\\n2026"), name);
    assertTrue(name.contains("control character (U+000A) at index 3"), name);
    assertOneLine(name);
    assertTrue(podRefusal(b -> b.setMetadata(b.getMetadata().toBuilder().setNamespace("default\u0000")))
        .startsWith("pod sandbox config metadata.namespace "));
    assertTrue(podRefusal(b -> b.setMetadata(b.getMetadata().toBuilder().setUid("u\rid")))
        .startsWith("pod sandbox config metadata.uid "));
  }

  @Test
  void podIdentifiersThatBecomeFileLinesAreRefused() {
    assertTrue(podRefusal(b -> b.setHostname("web\n10.0.0.1 evil")).startsWith("pod sandbox config hostname "));
    assertTrue(podRefusal(b -> b.setDnsConfig(DNSConfig.newBuilder().addServers("10.0.0.10").addServers("1.1.1.1\nnameserver 6.6.6.6")))
        .startsWith("pod sandbox config dns_config.servers[1] "));
    assertTrue(podRefusal(b -> b.setDnsConfig(DNSConfig.newBuilder().addSearches("a\tb")))
        .startsWith("pod sandbox config dns_config.searches[0] "));
  }

  @Test
  void labelKeysAndValuesAndAnnotationKeysAreChecked() {
    assertTrue(podRefusal(b -> b.putLabels("app\n", "x")).startsWith("pod sandbox config labels key "));
    assertTrue(podRefusal(b -> b.putLabels("app", "x\u001b[2J")).startsWith("pod sandbox config labels[\"app\"] "));
    assertTrue(podRefusal(b -> b.putAnnotations("a\u0000", "x")).startsWith("pod sandbox config annotations key "));
    assertTrue(containerRefusal(b -> b.putLabels("io.kubernetes.container.name", "app\n"))
        .startsWith("container config labels[\"io.kubernetes.container.name\"] "));
  }

  @Test
  void aLogDirectoryWithNulIsAnInvalidArgumentNamingIt() {
    String message = podRefusal(b -> b.setLogDirectory("/var/log/pods/\u0000x"));
    assertEquals("pod sandbox config log_directory \"/var/log/pods/\\u0000x\" contains a NUL character", message);
  }

  @Test
  void containerNameWithControlCharactersIsRefusedNamingTheField() {
    String message = containerRefusal(b -> b.setMetadata(ContainerMetadata.newBuilder().setName(FORGED)));
    assertTrue(message.startsWith("container config metadata.name \"web\\n"), message);
    assertOneLine(message);
  }

  @Test
  void aLogPathWithNulIsAnInvalidArgumentNamingIt() {
    assertEquals("container config log_path \"app/\\u0000.log\" contains a NUL character",
        containerRefusal(b -> b.setLogPath("app/\u0000.log")));
  }

  @Test
  void anImageReferenceWithControlCharactersIsRefusedNamingIt() {
    String message = containerRefusal(b -> b.setImage(ImageSpec.newBuilder().setImage("busybox\n:1")));
    assertTrue(message.startsWith("container config image.image \"busybox\\n:1\" contains a control character"), message);
    assertTrue(containerRefusal(b -> b.setImage(ImageSpec.newBuilder().setImage("/tmp/\u0000checkpoint.tar")))
        .startsWith("container config image.image "));
  }

  @Test
  void argumentsAndPathsWithNulAreRefusedByIndex() {
    assertTrue(containerRefusal(b -> b.addArgs("ok").addArgs("a\u0000b")).startsWith("container config args[1] "));
    assertTrue(containerRefusal(b -> b.addCommand("sh\u0000")).startsWith("container config command[0] "));
    assertTrue(containerRefusal(b -> b.setWorkingDir("/\u0000")).startsWith("container config working_dir "));
    assertTrue(containerRefusal(b -> b.addMounts(Mount.newBuilder().setContainerPath("/data").setHostPath("/srv/\u0000")))
        .startsWith("container config mounts[0].host_path "));
    assertTrue(containerRefusal(b -> b.addEnvs(KeyValue.newBuilder().setKey("A").setValue(ByteString.copyFromUtf8("x\u0000"))))
        .startsWith("container config envs[0].value (\"A\") "));
  }

  @Test
  void valuesMayHoldNewlinesWhereKubernetesAllowsThem() {
    ContainerTranslator.request(container().putAnnotations("note", "line one\nline two")
        .addEnvs(KeyValue.newBuilder().setKey("MULTI").setValue(ByteString.copyFromUtf8("a\nb"))).build());
  }

  @Test
  void aMountsOwnIdMappingsAreOneEachAndWithinThe32BitSpace() {
    IDMapping one = IDMapping.newBuilder().setContainerId(0).setHostId(3_000_000).setLength(65536).build();
    Mount.Builder mount = Mount.newBuilder().setContainerPath("/data").setHostPath("/srv/data");
    assertEquals(new dev.berth.runtime.userns.IdMapping(0, 3_000_000, 65536), ContainerTranslator.request(
        container().addMounts(mount.clone().addUidMappings(one).addGidMappings(one)).build())
        .mounts().getFirst().idmap().uids());
    assertNull(ContainerTranslator.request(container().addMounts(mount.clone()).build())
        .mounts().getFirst().idmap());
    assertEquals("mount /data: uidMappings and gidMappings must hold one mapping each, got 1 and 0",
        containerRefusal(b -> b.addMounts(mount.clone().addUidMappings(one))));
    assertTrue(containerRefusal(b -> b.addMounts(mount.clone().addUidMappings(one)
        .addGidMappings(one.toBuilder().setHostId(-1)))).startsWith("mount /data uidMappings/gidMappings: "));
  }
}
