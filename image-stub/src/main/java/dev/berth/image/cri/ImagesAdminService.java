package dev.berth.image.cri;

import dev.berth.cri.berth.v1.ExportRequest;
import dev.berth.cri.berth.v1.ExportResponse;
import dev.berth.cri.berth.v1.ImagesGrpc;
import dev.berth.cri.berth.v1.ImportRequest;
import dev.berth.cri.berth.v1.ImportResponse;
import dev.berth.cri.berth.v1.ImportedImage;
import dev.berth.image.store.ImageRecord;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.util.List;

/** berth.v1.Images: archive import and export, done by the daemon that owns the store. */
public final class ImagesAdminService extends ImagesGrpc.ImagesImplBase {

  private final ImageBackend backend;

  public ImagesAdminService(ImageBackend backend) {
    this.backend = backend;
  }

  @Override
  public void import_(ImportRequest request, StreamObserver<ImportResponse> response) {
    ImageCriService.run(response, () -> {
      Path path = absolute(request.getPath(), "import: path");
      ImportResponse.Builder out = ImportResponse.newBuilder();
      List<ImageRecord> imported;
      try (InterruptOnCancel cancel = InterruptOnCancel.forCurrentCall()) {
        imported = backend.importArchive(path);
      }
      for (ImageRecord image : imported) {
        out.addImages(ImportedImage.newBuilder().setId(image.id()).addAllRepoTags(image.repoTags())
            .addAllRepoDigests(image.repoDigests()));
      }
      return out.build();
    });
  }

  @Override
  public void export(ExportRequest request, StreamObserver<ExportResponse> response) {
    ImageCriService.run(response, () -> {
      Path path = absolute(request.getPath(), "export: path");
      if (request.getRefsCount() == 0) {
        throw Status.INVALID_ARGUMENT.withDescription("export: refs is empty").asRuntimeException();
      }
      return ExportResponse.newBuilder().setBytes(backend.exportArchive(request.getRefsList(), path)).build();
    });
  }

  private static Path absolute(String path, String field) {
    if (path.isEmpty() || !path.startsWith("/")) {
      throw Status.INVALID_ARGUMENT.withDescription(field + " must be an absolute path, got \"" + path + "\"")
          .asRuntimeException();
    }
    return Path.of(path);
  }
}
