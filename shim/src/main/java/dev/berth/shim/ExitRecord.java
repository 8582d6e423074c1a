package dev.berth.shim;

import java.time.Instant;

/**
 * A container's exit as conmon recorded it.
 *
 * @param exitCode   the exit status; 128 + signal number when a signal ended the process (137 for SIGKILL)
 * @param finishedAt when conmon wrote the exit file (its modification time)
 */
public record ExitRecord(int exitCode, Instant finishedAt) {
}
