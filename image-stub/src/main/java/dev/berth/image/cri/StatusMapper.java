package dev.berth.image.cri;

import dev.berth.image.manifest.ManifestException;
import dev.berth.image.reference.InvalidReferenceException;
import dev.berth.image.registry.RegistryException;
import dev.berth.image.store.DigestMismatchException;
import dev.berth.image.unpack.LayerTooLargeException;
import dev.berth.image.unpack.UnsafeLayerException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/** The one place where image errors become gRPC codes. */
final class StatusMapper {
  private StatusMapper() {}

  static StatusRuntimeException toStatus(Throwable e) {
    Status status = switch (e) {
      case StatusRuntimeException s -> s.getStatus();
      case InvalidReferenceException r -> Status.INVALID_ARGUMENT.withDescription(r.getMessage());
      case RegistryException r -> switch (r.kind()) {
        case NOT_FOUND -> Status.NOT_FOUND;
        case UNAUTHORIZED -> Status.UNAUTHENTICATED;
        case UNAVAILABLE -> Status.UNAVAILABLE;
        case PROTOCOL -> Status.INTERNAL;
        case TOO_LARGE -> Status.FAILED_PRECONDITION; // as a manifest that cannot be used
        case SIZE_MISMATCH -> Status.DATA_LOSS; // as a digest mismatch
        case STALLED -> Status.UNAVAILABLE; // the registry may answer a later pull
        case CANCELLED -> Status.CANCELLED;
      };
      case DigestMismatchException d -> Status.DATA_LOSS;
      case UnsafeLayerException u -> Status.FAILED_PRECONDITION;
      case LayerTooLargeException l -> Status.RESOURCE_EXHAUSTED;
      case java.io.InterruptedIOException i -> Status.CANCELLED;
      case java.nio.channels.ClosedByInterruptException c -> Status.CANCELLED;
      case ManifestException m -> Status.FAILED_PRECONDITION;
      case ImageInUseException u -> Status.FAILED_PRECONDITION;
      case IllegalArgumentException i -> Status.INVALID_ARGUMENT;
      default -> Status.INTERNAL;
    };
    if (status.getDescription() == null) {
      status = status.withDescription(e.getMessage() != null ? e.getMessage() : e.toString());
    }
    return status.withCause(e).asRuntimeException();
  }
}
