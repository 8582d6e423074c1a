package dev.berth.image.cri;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.cri.v1.FilesystemIdentifier;
import dev.berth.cri.v1.FilesystemUsage;
import dev.berth.cri.v1.Image;
import dev.berth.cri.v1.ImageFsInfoRequest;
import dev.berth.cri.v1.ImageFsInfoResponse;
import dev.berth.cri.v1.ImageServiceGrpc;
import dev.berth.cri.v1.ImageSpec;
import dev.berth.cri.v1.ImageStatusRequest;
import dev.berth.cri.v1.ImageStatusResponse;
import dev.berth.cri.v1.Int64Value;
import dev.berth.cri.v1.ListImagesRequest;
import dev.berth.cri.v1.ListImagesResponse;
import dev.berth.cri.v1.PullImageRequest;
import dev.berth.cri.v1.PullImageResponse;
import dev.berth.cri.v1.RemoveImageRequest;
import dev.berth.cri.v1.RemoveImageResponse;
import dev.berth.cri.v1.UInt64Value;
import dev.berth.image.manifest.ImageConfig;
import dev.berth.image.manifest.ManifestException;
import dev.berth.image.reference.ImageReference;
import dev.berth.image.reference.InvalidReferenceException;
import dev.berth.image.registry.RegistryCredentials;
import dev.berth.image.store.ImageRecord;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** runtime.v1.ImageService over the image store, with the semantics the kubelet relies on. */
public final class ImageCriService extends ImageServiceGrpc.ImageServiceImplBase {

  private static final Logger log = LoggerFactory.getLogger(ImageCriService.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final ImageBackend backend;

  public ImageCriService(ImageBackend backend) {
    this.backend = backend;
  }

  @Override
  public void listImages(ListImagesRequest request, StreamObserver<ListImagesResponse> response) {
    run(response, () -> {
      String filter = request.getFilter().getImage().getImage();
      List<ImageRecord> images;
      if (filter.isEmpty()) {
        images = backend.list();
      } else {
        Optional<ImageRecord> one;
        try {
          one = backend.find(filter);
        } catch (InvalidReferenceException e) {
          one = Optional.empty(); // a filter that names nothing matches nothing
        }
        images = one.stream().toList();
      }
      ListImagesResponse.Builder out = ListImagesResponse.newBuilder();
      for (ImageRecord image : images) {
        out.addImages(toProto(image));
      }
      return out.build();
    });
  }

  @Override
  public void imageStatus(ImageStatusRequest request, StreamObserver<ImageStatusResponse> response) {
    run(response, () -> {
      String ref = required(request.getImage().getImage(), "image status: image.image");
      Optional<ImageRecord> found = backend.find(ref);
      if (found.isEmpty()) {
        // The kubelet reads an empty answer as "not present, pull it"; an error would fail the pod.
        return ImageStatusResponse.getDefaultInstance();
      }
      ImageRecord image = found.get();
      ImageStatusResponse.Builder out = ImageStatusResponse.newBuilder().setImage(toProto(image));
      if (request.getVerbose()) {
        ObjectNode info = JSON.createObjectNode();
        info.put("id", image.id());
        info.put("manifestDigest", image.manifest().toString());
        info.put("manifestMediaType", image.manifestMediaType());
        info.set("imageSpec", JSON.readTree(backend.rawConfig(image)));
        out.putInfo("info", JSON.writeValueAsString(info));
      }
      return out.build();
    });
  }

  @Override
  public void pullImage(PullImageRequest request, StreamObserver<PullImageResponse> response) {
    run(response, () -> {
      String text = required(request.getImage().getImage(), "pull image: image.image");
      ImageReference ref = ImageReference.parse(text);
      var auth = request.getAuth();
      RegistryCredentials credentials = RegistryCredentials.of(auth.getUsername(), auth.getPassword(), auth.getAuth(),
          auth.getIdentityToken(), auth.getRegistryToken());
      ImageRecord image = await(backend.pull(ref, credentials), ref);
      // Like containerd, answer with the image ID: the kubelet passes it back as image_ref.
      return PullImageResponse.newBuilder().setImageRef(image.id()).build();
    });
  }

  @Override
  public void removeImage(RemoveImageRequest request, StreamObserver<RemoveImageResponse> response) {
    run(response, () -> {
      String ref = required(request.getImage().getImage(), "remove image: image.image");
      Optional<ImageRecord> found = backend.find(ref);
      if (found.isPresent()) {
        backend.remove(found.get());
      }
      return RemoveImageResponse.getDefaultInstance();
    });
  }

  @Override
  public void imageFsInfo(ImageFsInfoRequest request, StreamObserver<ImageFsInfoResponse> response) {
    run(response, () -> {
      ImageBackend.FsUsage usage = backend.fsUsage();
      FilesystemUsage fs = FilesystemUsage.newBuilder()
          .setTimestamp(System.currentTimeMillis() * 1_000_000L)
          .setFsId(FilesystemIdentifier.newBuilder().setMountpoint(usage.mountpoint().toString()))
          .setUsedBytes(UInt64Value.newBuilder().setValue(usage.usedBytes()))
          .setInodesUsed(UInt64Value.newBuilder().setValue(usage.usedInodes()))
          .build();
      return ImageFsInfoResponse.newBuilder().addImageFilesystems(fs).build();
    });
  }

  /**
   * Waits for the pull while the caller is there. The call's context is cancelled when the client
   * cancels or its deadline passes; the pull then learns that this caller has gone.
   */
  private static ImageRecord await(CompletableFuture<ImageRecord> pull, ImageReference ref) throws Exception {
    Context context = Context.current();
    Context.CancellationListener gone = c -> pull.cancel(false);
    context.addListener(gone, Runnable::run);
    try {
      return pull.get();
    } catch (CancellationException e) {
      throw Status.CANCELLED.withDescription("pull " + ref + ": the caller has gone").asRuntimeException();
    } catch (InterruptedException e) {
      pull.cancel(false);
      Thread.currentThread().interrupt();
      throw Status.CANCELLED.withDescription("pull " + ref + ": interrupted").asRuntimeException();
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    } finally {
      context.removeListener(gone);
    }
  }

  private Image toProto(ImageRecord image) throws IOException {
    Image.Builder b = Image.newBuilder()
        .setId(image.id())
        .addAllRepoTags(image.repoTags())
        .addAllRepoDigests(image.repoDigests())
        .setSize(image.size())
        .setSpec(ImageSpec.newBuilder().setImage(image.id()))
        .setPinned(false);
    ImageConfig config;
    try {
      config = backend.config(image);
    } catch (ManifestException e) {
      // One image stored before configs had a bound must not fail every ListImages.
      log.warn("image {} listed without its user: {}", image.id(), e.getMessage());
      return b.build();
    }
    // CRI: uid when the image's user is numeric, username otherwise; the group part is dropped.
    String user = config.user().split(":", 2)[0];
    if (!user.isEmpty()) {
      if (user.matches("\\d+")) {
        b.setUid(Int64Value.newBuilder().setValue(Long.parseLong(user)));
      } else {
        b.setUsername(user);
      }
    }
    return b.build();
  }

  private static String required(String value, String field) {
    if (value == null || value.isEmpty()) {
      throw Status.INVALID_ARGUMENT.withDescription(field + " is empty").asRuntimeException();
    }
    return value;
  }

  @FunctionalInterface
  interface Call<T> {
    T run() throws Exception;
  }

  static <T> void run(StreamObserver<T> response, Call<T> call) {
    T result;
    try {
      result = call.run();
    } catch (Exception e) {
      var status = StatusMapper.toStatus(e);
      if (status.getStatus().getCode() == Status.Code.INTERNAL) {
        log.warn("image call failed", e);
      }
      response.onError(status);
      return;
    }
    response.onNext(result);
    response.onCompleted();
  }

  /** StreamImages: ListImages' answer, in pages. */
  @Override
  public void streamImages(dev.berth.cri.v1.StreamImagesRequest request,
      StreamObserver<dev.berth.cri.v1.StreamImagesResponse> response) {
    dev.berth.cri.paging.Pages.stream(
        out -> listImages(ListImagesRequest.newBuilder().setFilter(request.getFilter()).build(), out),
        ListImagesResponse::getImagesList,
        page -> dev.berth.cri.v1.StreamImagesResponse.newBuilder().addAllImages(page).build(), response);
  }
}
