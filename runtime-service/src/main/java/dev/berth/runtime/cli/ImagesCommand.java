package dev.berth.runtime.cli;

import dev.berth.cri.berth.v1.ExportRequest;
import dev.berth.cri.berth.v1.ExportResponse;
import dev.berth.cri.berth.v1.ImagesGrpc;
import dev.berth.cri.berth.v1.ImportRequest;
import dev.berth.cri.berth.v1.ImportResponse;
import dev.berth.cri.berth.v1.ImportedImage;
import dev.berth.cri.client.CriClient;
import dev.berth.image.archive.ImageArchiveBuilder;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code berth images import FILE} and {@code berth images export REF... -o FILE}. The daemon owns
 * the image store, so the CLI asks it over the socket and the daemon reads or writes the file.
 */
@Command(name = "images", description = "Import or export image archives through the running daemon.",
    subcommands = {ImagesCommand.Import.class, ImagesCommand.Export.class, ImagesCommand.Pack.class})
final class ImagesCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return 2;
  }

  private static ImagesGrpc.ImagesBlockingStub stub(CriClient client) {
    // Archives can be big: unpacking every layer takes minutes, not seconds.
    return ImagesGrpc.newBlockingStub(client.channel()).withDeadlineAfter(30, TimeUnit.MINUTES);
  }

  @Command(name = "import", description = "Import an OCI image archive or a docker save archive.")
  static final class Import implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "The archive (.tar, or gzip-compressed).")
    Path file;

    @Override
    public Integer call() {
      Path path = file.toAbsolutePath().normalize();
      try (CriClient client = CriClient.connect(options.effective().socket())) {
        ImportResponse response = RemoteCall.run(client,
            () -> stub(client).import_(ImportRequest.newBuilder().setPath(path.toString()).build()));
        PrintWriter out = spec.commandLine().getOut();
        for (ImportedImage image : response.getImagesList()) {
          out.println(image.getId() + (image.getRepoTagsCount() > 0 ? "  " + String.join(", ", image.getRepoTagsList()) : ""));
        }
        out.flush();
        return 0;
      }
    }
  }

  @Command(name = "export", description = "Write images to one archive (OCI layout with docker's manifest.json).")
  static final class Export implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "REF", arity = "1..*", description = "Image references, IDs or repo digests.")
    List<String> refs;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", required = true, description = "The archive to write.")
    Path output;

    @Override
    public Integer call() {
      Path path = output.toAbsolutePath().normalize();
      try (CriClient client = CriClient.connect(options.effective().socket())) {
        ExportResponse response = RemoteCall.run(client, () -> stub(client).export(
            ExportRequest.newBuilder().addAllRefs(refs).setPath(path.toString()).build()));
        PrintWriter out = spec.commandLine().getOut();
        out.println("wrote " + path + " (" + response.getBytes() + " bytes)");
        out.flush();
        return 0;
      }
    }
  }

  /** Builds an image from a directory on this host, for nodes (and demos) that have no registry. */
  @Command(name = "pack", description = "Write a directory tree as a one-layer OCI image archive (no daemon needed).")
  static final class Pack implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "DIR", description = "The image's root filesystem.")
    Path rootfs;

    @Option(names = "--name", required = true, paramLabel = "REF", description = "The image's reference, e.g. busybox:demo.")
    String name;

    @Option(names = "--cmd", split = ",", paramLabel = "ARG", description = "The image's default command, comma separated.")
    List<String> cmd = List.of("sh");

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", required = true, description = "The archive to write.")
    Path output;

    @Override
    public Integer call() throws java.io.IOException {
      ImageArchiveBuilder.BuiltImage image = ImageArchiveBuilder.fromDirectory(rootfs).name(name).cmd(cmd)
          .writeTo(output.toAbsolutePath().normalize());
      spec.commandLine().getOut().println(image.imageId() + "  " + name + "  " + output);
      spec.commandLine().getOut().flush();
      return 0;
    }
  }
}
