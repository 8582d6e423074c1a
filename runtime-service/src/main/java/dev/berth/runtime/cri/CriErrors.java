package dev.berth.runtime.cri;

import dev.berth.runtime.model.CriException;
import dev.berth.runtime.store.StorageErrors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The one place where domain failures become gRPC status codes. */
final class CriErrors {

  private static final Logger log = LoggerFactory.getLogger(CriErrors.class);

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
      default -> {
        log.error("unexpected failure in a CRI call", error);
        yield Status.INTERNAL.withDescription(error.toString());
      }
    };
    return status.withCause(error).asRuntimeException();
  }
}
