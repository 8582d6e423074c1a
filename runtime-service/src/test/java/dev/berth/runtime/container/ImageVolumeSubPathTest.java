package dev.berth.runtime.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.runtime.model.CriException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which image_sub_path an image volume may bind: inside the image, after its links are followed. */
class ImageVolumeSubPathTest {

  @TempDir
  Path dir;

  private static MountSpec volume(String subPath) {
    return new MountSpec("/iv", "", true, "rprivate", false, "img:1", subPath, null);
  }

  private String refusal(Path image, String subPath) {
    return assertThrows(CriException.InvalidArgument.class, () -> ImageVolumes.source(volume(subPath), image))
        .getMessage();
  }

  @Test
  void theWholeImageOrADirectoryInsideIt() throws IOException {
    Path image = Files.createDirectories(dir.resolve("image/data/deeper"));
    Path root = dir.resolve("image");

    assertEquals(root, ImageVolumes.source(volume(""), root));
    assertEquals(image.toRealPath(), ImageVolumes.source(volume("data/./deeper/"), root));
    Files.createSymbolicLink(root.resolve("inside"), Path.of("data"));
    assertEquals(root.resolve("data").toRealPath(), ImageVolumes.source(volume("inside"), root));
  }

  @Test
  void pathsAndLinksThatLeaveTheImageAreRefused() throws IOException {
    Path root = Files.createDirectories(dir.resolve("image"));
    Files.createDirectories(dir.resolve("outside"));
    Files.createSymbolicLink(root.resolve("up"), Path.of("../outside"));
    Files.createSymbolicLink(root.resolve("abs"), dir.resolve("outside"));

    assertTrue(refusal(root, "../outside").contains("must be a relative path inside the image"));
    assertTrue(refusal(root, "/etc").contains("must be a relative path inside the image"));
    assertTrue(refusal(root, "up").contains("leaves the image"));
    assertTrue(refusal(root, "abs").contains("leaves the image"));
    assertTrue(refusal(root, "missing").contains("does not exist in image img:1"));
  }
}
