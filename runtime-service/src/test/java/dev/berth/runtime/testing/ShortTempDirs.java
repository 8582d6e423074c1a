package dev.berth.runtime.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import org.junit.jupiter.api.extension.AnnotatedElementContext;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.io.TempDirFactory;

/**
 * Temp dirs like /tmp/b1a2b3c: a daemon's attach sockets live below its state directory, and a
 * unix socket path holds 107 bytes, so JUnit's long default names do not fit.
 */
public final class ShortTempDirs implements TempDirFactory {

  @Override
  public Path createTempDirectory(AnnotatedElementContext element, ExtensionContext extension) throws IOException {
    return create();
  }

  public static Path create() throws IOException {
    return Files.createDirectory(Path.of("/tmp", "b" + HexFormat.of().formatHex(new SecureRandom().generateSeed(3))));
  }
}
