package dev.berth.runtime.cri;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.runtime.model.CriException;
import io.grpc.Status;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class CriErrorsTest {

  @Test
  void aDescriptionEchoingAHugeInputIsCutToFitATrailer() {
    Status status = CriErrors.toStatus(new CriException.InvalidArgument(
        "container config image.image: invalid image reference \"" + "z".repeat(70_000) + "\"")).getStatus();
    assertEquals(Status.Code.INVALID_ARGUMENT, status.getCode());
    assertTrue(status.getDescription().length() < 4200, "length " + status.getDescription().length());
    assertTrue(status.getDescription().startsWith("container config image.image: invalid image reference \"zzz"));
    assertTrue(status.getDescription().endsWith("... (70056 characters in all)"), status.getDescription());
  }

  @Test
  void nonAsciiCountsAsItsEncodedSizeAndIsNeverCutInsideAPair() {
    String emoji = "\uD83D\uDE00".repeat(5000);
    String bounded = CriErrors.bounded(emoji);
    assertTrue(bounded.length() < 1000, "length " + bounded.length());
    String kept = bounded.substring(0, bounded.indexOf("..."));
    assertFalse(Character.isHighSurrogate(kept.charAt(kept.length() - 1)), "no half pair at the cut");
  }

  @Test
  void anOrdinaryDescriptionIsKeptAsItIs() {
    assertEquals("pod sandbox \"x\" not found", CriErrors.bounded("pod sandbox \"x\" not found"));
  }

  @Test
  void anInvalidPathIsABadArgumentAndAnUnexpectedFailureNamesNoClass() {
    Status path = CriErrors.toStatus(catchInvalidPath()).getStatus();
    assertEquals(Status.Code.INVALID_ARGUMENT, path.getCode());
    assertTrue(path.getDescription().startsWith("path \"/a\\u0000b\" is not a valid path"), path.getDescription());
    Status bug = CriErrors.toStatus(new NullPointerException()).getStatus();
    assertEquals(Status.Code.INTERNAL, bug.getCode());
    assertFalse(bug.getDescription().contains("java."), bug.getDescription());
  }

  private static RuntimeException catchInvalidPath() {
    try {
      Path.of("/a\u0000b");
      throw new AssertionError("NUL made a path");
    } catch (java.nio.file.InvalidPathException e) {
      return e;
    }
  }
}
