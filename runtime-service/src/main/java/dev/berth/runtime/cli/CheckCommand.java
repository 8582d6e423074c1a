package dev.berth.runtime.cli;

import dev.berth.runtime.check.Finding;
import dev.berth.runtime.check.NodeCheck;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "check", description = {
    "Say what this node lacks to run Berth: runc, conmon, catatonit, CNI plugins and config,",
    "cgroup controllers, overlayfs, seccomp, user namespaces, IP forwarding.",
    "Exits 1 when something required is missing, 0 otherwise."})
final class CheckCommand implements Callable<Integer> {

  @Mixin
  ConfigOptions options;

  @Option(names = "--host-root", paramLabel = "DIR", hidden = true,
      description = "Look at the node below DIR instead of / (programs are then not run).")
  Path hostRoot;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    boolean realRoot = hostRoot == null;
    List<Finding> findings = new NodeCheck(options.effective(), realRoot ? Path.of("/") : hostRoot, realRoot).run();
    PrintWriter out = spec.commandLine().getOut();
    int width = findings.stream().mapToInt(f -> f.subject().length()).max().orElse(0);
    for (Finding finding : findings) {
      out.printf("%-7s %-" + width + "s  %s%n", finding.verdict(), finding.subject(), finding.detail());
    }
    long missing = findings.stream().filter(f -> !f.ok() && f.required()).count();
    long warnings = findings.stream().filter(f -> !f.ok() && !f.required()).count();
    out.println(missing == 0
        ? "berth check: this node can run Berth (" + warnings + " warnings)"
        : "berth check: " + missing + " required things missing, " + warnings + " warnings");
    out.flush();
    return NodeCheck.ready(findings) ? 0 : Main.EXIT_FAILURE;
  }
}
