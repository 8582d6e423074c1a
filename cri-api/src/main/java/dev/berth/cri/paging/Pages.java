package dev.berth.cri.paging;

import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The streaming list calls of CRI v1 (StreamContainers, StreamImages, ...) answer what their
 * unary twins answer, cut into pages. This runs the unary call into a capturing observer and
 * sends its items in pages of {@link #PAGE_SIZE}, so filters and answers can never drift apart.
 */
public final class Pages {

  /** Small enough that a page of full container stats stays far below the 16 MiB message limit. */
  public static final int PAGE_SIZE = 100;

  private Pages() {}

  /**
   * @param unaryCall the unary twin, called with an observer that captures its answer or error
   * @param items the repeated field of the unary answer
   * @param page builds one streamed message from a page of items
   */
  public static <U, T, S> void stream(Consumer<StreamObserver<U>> unaryCall, Function<U, List<T>> items,
      Function<List<T>, S> page, StreamObserver<S> out) {
    unaryCall.accept(new StreamObserver<>() {
      @Override
      public void onNext(U answer) {
        List<T> all = items.apply(answer);
        // An empty answer is still one (empty) page, so a client always sees a message.
        for (int from = 0; from < Math.max(all.size(), 1); from += PAGE_SIZE) {
          out.onNext(page.apply(all.subList(Math.min(from, all.size()), Math.min(from + PAGE_SIZE, all.size()))));
        }
      }

      @Override
      public void onError(Throwable error) {
        out.onError(error);
      }

      @Override
      public void onCompleted() {
        out.onCompleted();
      }
    });
  }
}
