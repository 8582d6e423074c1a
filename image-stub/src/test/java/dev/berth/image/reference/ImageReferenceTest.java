package dev.berth.image.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ImageReferenceTest {
  private static final String D = "sha256:" + "a".repeat(64);

  @Test
  void shortNameGoesToDockerHubLibraryLatest() {
    assertEquals("docker.io/library/busybox:latest", ImageReference.parse("busybox").toString());
  }

  @Test
  void userRepositoryOnDockerHubKeepsItsNamespace() {
    assertEquals("docker.io/bitnami/redis:7", ImageReference.parse("bitnami/redis:7").toString());
    assertEquals("docker.io/library/nginx:1", ImageReference.parse("index.docker.io/library/nginx:1").toString());
  }

  @Test
  void registryWithPortAndNestedPath() {
    ImageReference r = ImageReference.parse("127.0.0.1:5000/a/b/c:v1");
    assertEquals("127.0.0.1:5000", r.domain());
    assertEquals("a/b/c", r.path());
    assertEquals("v1", r.tag());
    ImageReference local = ImageReference.parse("localhost/pause");
    assertEquals("localhost", local.domain());
    assertEquals("localhost/pause:latest", local.toString());
  }

  @Test
  void digestOnlyHasNoTag() {
    ImageReference r = ImageReference.parse("registry.k8s.io/pause@" + D);
    assertNull(r.tag());
    assertEquals(D, r.manifestReference());
    assertEquals("registry.k8s.io/pause@" + D, r.toString());
  }

  @Test
  void tagAndDigestPullsTheDigest() {
    ImageReference r = ImageReference.parse("busybox:1.36@" + D);
    assertEquals("1.36", r.tag());
    assertEquals(D, r.manifestReference());
    assertEquals("docker.io/library/busybox:1.36@" + D, r.toString());
  }

  @Test
  void invalidReferencesAreRefusedNamingThem() {
    for (String bad : new String[] {"", "Busybox", "busybox:", "busybox@sha256:abc", "a//b", " busybox", "busybox:t@g"}) {
      InvalidReferenceException e = assertThrows(InvalidReferenceException.class, () -> ImageReference.parse(bad));
      assertTrue(e.getMessage().contains("\"" + bad + "\""), e.getMessage());
    }
  }

  @Test
  void imageIdIsRecognised() {
    assertTrue(ImageReference.isImageId(D));
  }
}
