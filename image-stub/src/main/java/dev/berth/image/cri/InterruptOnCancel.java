package dev.berth.image.cri;

import io.grpc.Context;

/**
 * Interrupts the thread serving a call when the client cancels it or its deadline passes, for as
 * long as this is open: long work for one caller (an archive import and its unpacks) then stops
 * instead of running on for nobody. Not for work that other callers share (a pull waited on by
 * several), which must outlive any one of them.
 */
final class InterruptOnCancel implements AutoCloseable {

  private final Context context;
  private final Context.CancellationListener listener;

  private InterruptOnCancel(Context context, Context.CancellationListener listener) {
    this.context = context;
    this.listener = listener;
  }

  static InterruptOnCancel forCurrentCall() {
    Thread serving = Thread.currentThread();
    Context context = Context.current();
    Context.CancellationListener listener = cancelled -> serving.interrupt();
    context.addListener(listener, Runnable::run);
    return new InterruptOnCancel(context, listener);
  }

  @Override
  public void close() {
    context.removeListener(listener);
    Thread.interrupted(); // the call is over; the thread must not carry a stale interrupt further
  }
}
