package dev.berth.shim;

import java.nio.file.Path;

/**
 * The OCI runtime's view of one container ({@code runtime state}).
 *
 * @param id     container id
 * @param status lifecycle status
 * @param pid    host pid of the init process; 0 once stopped
 * @param bundle the bundle the container was created from
 */
public record RuntimeState(String id, Status status, long pid, Path bundle) {

  /** The OCI statuses plus runc's {@code paused}. */
  public enum Status {
    CREATING, CREATED, RUNNING, PAUSED, STOPPED;

    /** Parses the runtime's lower-case status word. */
    public static Status fromRuntime(String value) {
      return Status.valueOf(value.trim().toUpperCase(java.util.Locale.ROOT));
    }
  }
}
