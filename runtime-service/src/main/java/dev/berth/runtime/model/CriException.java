package dev.berth.runtime.model;

/**
 * A failure the CRI caller must see with a specific gRPC code. The domain throws these; the gRPC
 * layer maps each kind to its code in one place (CriErrors), so domain code never imports gRPC.
 */
public sealed class CriException extends RuntimeException
    permits CriException.NotFound, CriException.AlreadyExists, CriException.InvalidArgument,
        CriException.FailedPrecondition, CriException.Internal {

  private CriException(String message, Throwable cause) {
    super(message, cause);
  }

  public static final class NotFound extends CriException {
    public NotFound(String message) {
      super(message, null);
    }
  }

  public static final class AlreadyExists extends CriException {
    public AlreadyExists(String message) {
      super(message, null);
    }
  }

  public static final class InvalidArgument extends CriException {
    public InvalidArgument(String message) {
      super(message, null);
    }
  }

  public static final class FailedPrecondition extends CriException {
    public FailedPrecondition(String message) {
      super(message, null);
    }
  }

  /** Something below us (runc, conmon, CNI, the disk) failed; the message says what and why. */
  public static final class Internal extends CriException {
    public Internal(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
