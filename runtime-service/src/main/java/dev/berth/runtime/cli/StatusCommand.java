package dev.berth.runtime.cli;

import dev.berth.cri.client.CriClient;
import dev.berth.cri.v1.RuntimeCondition;
import dev.berth.cri.v1.StatusRequest;
import dev.berth.cri.v1.StatusResponse;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "status", description = "Ask the daemon on the socket whether it and the pod network are ready.")
final class StatusCommand implements Callable<Integer> {

  @Mixin
  ConfigOptions options;

  @Option(names = "--verbose", description = "Also print the daemon's effective configuration.")
  boolean verbose;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    try (CriClient client = CriClient.connect(options.effective().socket())) {
      StatusResponse status = RemoteCall.run(client, () -> client.runtime(Duration.ofSeconds(10))
          .status(StatusRequest.newBuilder().setVerbose(verbose).build()));
      PrintWriter out = spec.commandLine().getOut();
      for (RuntimeCondition condition : status.getStatus().getConditionsList()) {
        out.printf("%-13s %-5s %s%s%n", condition.getType(), condition.getStatus(), condition.getReason(),
            condition.getMessage().isEmpty() ? "" : " " + condition.getMessage());
      }
      status.getInfoMap().forEach((key, value) -> out.println(key + ": " + value));
      out.flush();
      return 0;
    }
  }
}
