package dev.berth.bench.workload;

import dev.berth.bench.report.Recorder;
import dev.berth.cri.client.CriClient;
import dev.berth.cri.v1.ImageSpec;
import dev.berth.cri.v1.PullImageRequest;
import dev.berth.cri.v1.RemoveImageRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;

/**
 * image-pull: PullImage (download, verify, unpack) then RemoveImage of a generated image from a
 * local registry, several times; each pull starts from nothing because the remove before it
 * deleted the image.
 */
public final class ImagePull {

  public static final String NAME = "image-pull";
  /** The metric of a pull is this and the image's size, e.g. "PullImage 50MB". */
  public static final String PULL = "PullImage";

  private final CriClient client;
  private final BenchOptions options;
  private final Recorder recorder;
  private final String target;

  public ImagePull(CriClient client, BenchOptions options, Recorder recorder, String target) {
    this.client = client;
    this.options = options;
    this.recorder = recorder;
    this.target = target;
  }

  public void run(String reference, String sizeLabel) {
    ImageSpec image = ImageSpec.newBuilder().setImage(reference).build();
    remove(image); // a leftover from an earlier, interrupted run would make the first pull free
    for (int i = 0; i < options.pulls(); i++) {
      long t0 = System.nanoTime();
      client.images(Duration.ofMinutes(10)).pullImage(PullImageRequest.newBuilder().setImage(image).build());
      long t1 = System.nanoTime();
      remove(image);
      long t2 = System.nanoTime();
      recorder.addNanos(target, NAME, PULL + " " + sizeLabel, t1 - t0);
      recorder.addNanos(target, NAME, "RemoveImage", t2 - t1);
    }
  }

  private void remove(ImageSpec image) {
    try {
      client.images(Duration.ofMinutes(2)).removeImage(RemoveImageRequest.newBuilder().setImage(image).build());
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() != Status.Code.NOT_FOUND) {
        throw e;
      }
    }
  }
}
