package dev.berth.runtime.cri;

import dev.berth.runtime.model.CriException;
import dev.berth.runtime.model.Printable;
import dev.berth.runtime.store.StorageErrors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.InvalidPathException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The one place where domain failures become gRPC status codes. */
final class CriErrors {

  private static final Logger log = LoggerFactory.getLogger(CriErrors.class);

  private static final int MAX_DESCRIPTION_WIRE_BYTES = 4096;

  private CriErrors() {}

  static StatusRuntimeException toStatus(Throwable error) {
    Status status = switch (error) {
      case StatusRuntimeException e -> e.getStatus();
      case CriException.NotFound e -> Status.NOT_FOUND.withDescription(e.getMessage());
      case CriException.AlreadyExists e -> Status.ALREADY_EXISTS.withDescription(e.getMessage());
      case CriException.InvalidArgument e -> Status.INVALID_ARGUMENT.withDescription(e.getMessage());
      case CriException.FailedPrecondition e -> Status.FAILED_PRECONDITION.withDescription(e.getMessage());
      // A full disk is the operator's to fix, not a bug: say so with the code that means "out of a resource".
      case CriException.Internal e when StorageErrors.isNoSpace(e) ->
          Status.RESOURCE_EXHAUSTED.withDescription(e.getMessage());
      case CriException.Internal e -> Status.INTERNAL.withDescription(e.getMessage());
      // Only a caller's string can hold the NUL that makes a path invalid: a field the edge does
      // not check yet still answers as bad input, never as a crash.
      case InvalidPathException e -> Status.INVALID_ARGUMENT.withDescription(
          "path " + Printable.quote(e.getInput()) + " is not a valid path: " + e.getReason());
      default -> {
        log.error("unexpected failure in a CRI call", error);
        // A bug of ours: the log has the stack; the caller gets what went wrong in words, not a class name.
        yield Status.INTERNAL.withDescription("internal error: "
            + (error.getMessage() != null ? error.getMessage() : "unexpected " + error.getClass().getSimpleName())
            + " (the daemon log has the details)");
      }
    };
    if (status.getDescription() != null) {
      status = status.withDescription(bounded(status.getDescription()));
    }
    return status.withCause(error).asRuntimeException();
  }

  /**
   * The description travels percent-encoded in one trailer, and grpc-java clients refuse
   * trailers over 8 KiB: a description that echoes a huge input (a 70 000-character image
   * reference) would turn a clear answer into a transport error. Counted as on the wire: a
   * printable ASCII character is one byte, anything else up to nine ({@code %XX} per UTF-8 byte).
   */
  static String bounded(String description) {
    int wireBytes = 0;
    for (int i = 0; i < description.length(); i++) {
      char c = description.charAt(i);
      wireBytes += c >= 0x20 && c < 0x7f && c != '%' ? 1 : 9;
      if (wireBytes > MAX_DESCRIPTION_WIRE_BYTES) {
        int end = Character.isLowSurrogate(c) ? i - 1 : i;
        return description.substring(0, end) + "... (" + description.length() + " characters in all)";
      }
    }
    return description;
  }
}
