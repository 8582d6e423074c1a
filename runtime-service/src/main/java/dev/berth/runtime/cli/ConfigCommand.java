package dev.berth.runtime.cli;

import dev.berth.runtime.config.ConfigView;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "config", description = "Print the effective configuration (defaults, file, flags) as TOML.")
final class ConfigCommand implements Callable<Integer> {

  @Mixin
  ConfigOptions options;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().getOut().print(ConfigView.toToml(options.effective()));
    spec.commandLine().getOut().flush();
    return 0;
  }
}
