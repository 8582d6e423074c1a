package dev.berth.runtime.cli;

import dev.berth.cri.client.CriClient;
import dev.berth.cri.v1.VersionRequest;
import dev.berth.cri.v1.VersionResponse;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "version", description = "Ask the daemon on the socket for its CRI version.")
final class VersionCommand implements Callable<Integer> {

  @Mixin
  ConfigOptions options;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    try (CriClient client = CriClient.connect(options.effective().socket())) {
      VersionResponse version = RemoteCall.run(client, () -> client.runtime(Duration.ofSeconds(10))
          .version(VersionRequest.getDefaultInstance()));
      PrintWriter out = spec.commandLine().getOut();
      out.println("RuntimeName:       " + version.getRuntimeName());
      out.println("RuntimeVersion:    " + version.getRuntimeVersion());
      out.println("RuntimeApiVersion: " + version.getRuntimeApiVersion());
      out.flush();
      return 0;
    }
  }
}
