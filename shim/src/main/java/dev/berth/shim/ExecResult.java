package dev.berth.shim;

/**
 * The outcome of {@link ConmonShim#execSync}.
 *
 * @param exitCode the exec'd process's exit status; -1 when it timed out
 * @param stdout   what it wrote to stdout, at most {@link #OUTPUT_LIMIT} bytes
 * @param stderr   what it wrote to stderr, at most {@link #OUTPUT_LIMIT} bytes
 * @param timedOut the process ran past the timeout and was killed
 */
public record ExecResult(int exitCode, byte[] stdout, byte[] stderr, boolean timedOut) {
  /** Each stream is capped at the kubelet's message limit. */
  public static final int OUTPUT_LIMIT = 16 * 1024 * 1024;

  public String stdoutText() {
    return new String(stdout, java.nio.charset.StandardCharsets.UTF_8);
  }

  public String stderrText() {
    return new String(stderr, java.nio.charset.StandardCharsets.UTF_8);
  }
}
