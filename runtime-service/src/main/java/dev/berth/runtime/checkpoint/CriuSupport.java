package dev.berth.runtime.checkpoint;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Whether CRIU can checkpoint and restore processes on this node, as {@code criu check} says.
 * The answer depends on the kernel and the criu build, not on the container, so it is asked once
 * and kept; a checkpoint or restore that cannot work fails before touching the container.
 */
public final class CriuSupport {

  private static final long CHECK_TIMEOUT_SECONDS = 30;
  /** Enough of criu's own errors to say why, not its whole log. */
  private static final int REASON_CHARS = 600;

  private final Path criu;
  private volatile Optional<String> verdict;

  public CriuSupport(Path criu) {
    this.criu = criu;
  }

  /** Empty when CRIU works here, otherwise why not (criu's own words). */
  public Optional<String> unavailableReason() {
    Optional<String> known = verdict;
    if (known == null) {
      synchronized (this) {
        known = verdict;
        if (known == null) {
          known = check();
          verdict = known;
        }
      }
    }
    return known;
  }

  private Optional<String> check() {
    if (!Files.isExecutable(criu)) {
      return Optional.of("no criu executable at " + criu + " (Debian: apt-get install criu)");
    }
    try {
      Process process = new ProcessBuilder(criu.toString(), "check").redirectErrorStream(true).start();
      process.getOutputStream().close();
      byte[] output = process.getInputStream().readAllBytes();
      if (!process.waitFor(CHECK_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        return Optional.of("`" + criu + " check` did not finish in " + CHECK_TIMEOUT_SECONDS + " s");
      }
      if (process.exitValue() == 0) {
        return Optional.empty();
      }
      String text = new String(output, StandardCharsets.UTF_8).strip().replaceAll("\\s*\\n\\s*", "; ");
      if (text.length() > REASON_CHARS) {
        text = text.substring(0, REASON_CHARS) + "...";
      }
      return Optional.of("`" + criu + " check` failed (exit " + process.exitValue() + "): " + text);
    } catch (IOException e) {
      return Optional.of("running `" + criu + " check`: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.of("interrupted while running `" + criu + " check`");
    }
  }
}
