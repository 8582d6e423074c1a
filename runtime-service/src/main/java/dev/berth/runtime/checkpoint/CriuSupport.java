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

  private final Path configured;
  private final Optional<Path> criu;
  private volatile Optional<String> verdict;

  /** @param configured an absolute path, or a bare name looked up on this process's PATH */
  public CriuSupport(Path configured) {
    this(configured, System.getenv().getOrDefault("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
  }

  CriuSupport(Path configured, String searchPath) {
    this.configured = configured;
    this.criu = locate(configured, searchPath);
  }

  /** The CRIU binary that checkpoints and restores use, when there is one. */
  public Optional<Path> binary() {
    return criu;
  }

  static Optional<Path> locate(Path configured, String searchPath) {
    if (configured.isAbsolute()) {
      return Optional.of(configured);
    }
    for (String dir : searchPath.split(":")) {
      if (dir.isEmpty()) {
        continue;
      }
      Path candidate = Path.of(dir).resolve(configured);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return Optional.of(candidate.toAbsolutePath());
      }
    }
    return Optional.empty();
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
    if (criu.isEmpty()) {
      return Optional.of("no criu executable named " + configured + " on the daemon's PATH (runtime.criu;"
          + " Debian: apt-get install criu)");
    }
    Path criu = this.criu.get();
    if (!Files.isExecutable(criu)) {
      return Optional.of("no criu executable at " + criu + " (runtime.criu; Debian: apt-get install criu)");
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
