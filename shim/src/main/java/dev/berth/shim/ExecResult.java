package dev.berth.shim;

/**
 * The outcome of {@link ConmonShim#execSync}.
 *
 * @param exitCode  the exec'd process's exit status; -1 when it timed out
 * @param stdout    what it wrote to stdout
 * @param stderr    what it wrote to stderr; with stdout at most {@link #OUTPUT_LIMIT} bytes together
 * @param timedOut  the process ran past the timeout and was killed
 * @param truncated the process wrote more than {@link #OUTPUT_LIMIT}: only the first bytes were kept
 */
public record ExecResult(int exitCode, byte[] stdout, byte[] stderr, boolean timedOut, boolean truncated) {
  /**
   * What one answer carries, stdout and stderr together, and what conmon may write to the exec's
   * log on the state tmpfs while the process runs: the kubelet refuses a message over 16 MiB, and
   * the rest of the message needs a little room.
   */
  public static final int OUTPUT_LIMIT = 16 * 1024 * 1024 - 64 * 1024;

  public String stdoutText() {
    return new String(stdout, java.nio.charset.StandardCharsets.UTF_8);
  }

  public String stderrText() {
    return new String(stderr, java.nio.charset.StandardCharsets.UTF_8);
  }
}
