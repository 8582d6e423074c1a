package dev.berth.runtime.cli;

import dev.berth.runtime.config.BerthConfig;
import dev.berth.runtime.config.ConfigLoader;
import dev.berth.runtime.config.LogLevel;
import dev.berth.runtime.config.StreamingAddress;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The flags that pick the configuration; flags win over the file, the file over defaults. */
final class ConfigOptions {

  @Option(names = "--config", paramLabel = "FILE", description = "TOML configuration file.")
  Path configFile;

  @Option(names = "--socket", paramLabel = "PATH", description = "CRI unix socket (default /run/berth/berth.sock).")
  Path socket;

  @Option(names = "--root", paramLabel = "DIR", description = "Persistent state: images, containers (default /var/lib/berth).")
  Path root;

  @Option(names = "--state", paramLabel = "DIR", description = "Runtime state that dies with the node (default /run/berth).")
  Path state;

  @Option(names = "--log-level", paramLabel = "LEVEL", description = "trace, debug, info, warn or error.")
  String logLevel;

  @Option(names = "--streaming-address", paramLabel = "HOST:PORT",
      description = "Where exec/attach/port-forward are served (default 127.0.0.1:10350; port 0 picks one).")
  String streamingAddress;

  @Option(names = "--metrics-address", paramLabel = "HOST:PORT",
      description = "Serve Prometheus /metrics here, or \"off\" (default 127.0.0.1:9767).")
  String metricsAddress;

  BerthConfig effective() {
    BerthConfig config = ConfigLoader.load(configFile);
    if (socket != null) {
      config = config.withSocket(socket.toAbsolutePath().normalize());
    }
    if (root != null) {
      config = config.withRoot(root.toAbsolutePath().normalize());
    }
    if (state != null) {
      config = config.withState(state.toAbsolutePath().normalize());
    }
    if (streamingAddress != null) {
      StreamingAddress.parse(streamingAddress, "flag --streaming-address");
      config = config.withStreamingAddress(streamingAddress);
    }
    if (metricsAddress != null) {
      config = config.withMetricsAddress(ConfigLoader.metricsAddress(metricsAddress, "flag --metrics-address"));
    }
    if (logLevel != null) {
      config = config.withLogLevel(LogLevel.parse(logLevel, "flag --log-level"));
    }
    return config;
  }
}
