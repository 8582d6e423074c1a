package dev.berth.bench.workload;

import dev.berth.bench.proc.ProcessMemory;
import dev.berth.bench.report.Recorder;
import java.io.IOException;
import java.util.List;

/**
 * memory: with N pods running, the daemon's RSS and its shims' RSS (total, and each shim as one
 * sample), read once a second. "daemon+shims RSS" is the figure the comparison's ratio uses.
 */
public final class Memory {

  public static final String NAME = "memory";
  public static final String TOTAL = "daemon+shims RSS";

  private final BenchOptions options;
  private final Recorder recorder;
  private final Target target;

  public Memory(BenchOptions options, Recorder recorder, Target target) {
    this.options = options;
    this.recorder = recorder;
    this.target = target;
  }

  public void run(PodFleet fleet) throws IOException, InterruptedException {
    if (target.daemonPid().isEmpty()) {
      recorder.skip(target.name(), NAME, "daemon RSS", "no daemon pid given (pid=PID in --target)");
      return;
    }
    String name = target.name();
    for (int i = 0; i < options.memorySamples(); i++) {
      if (i > 0) {
        Thread.sleep(1000);
      }
      ProcessMemory.Usage daemon = ProcessMemory.usage(target.daemonPid().getAsLong());
      recorder.add(name, NAME, "daemon RSS", "MB", daemon.rssKb() / 1024.0);
      recorder.add(name, NAME, "daemon PSS", "MB", daemon.pssKb() / 1024.0);
      if (target.shim() == null) {
        recorder.skip(name, NAME, "shim RSS", "no shim executable given (shim=NAME in --target)");
        continue;
      }
      List<Long> shims = ProcessMemory.find(target.shim(), target.shimMarker());
      long rss = 0;
      long pss = 0;
      for (long pid : shims) {
        ProcessMemory.Usage shim = ProcessMemory.usage(pid);
        rss += shim.rssKb();
        pss += shim.pssKb();
        recorder.add(name, NAME, "RSS per shim", "MB", shim.rssKb() / 1024.0);
      }
      recorder.add(name, NAME, "shims with " + fleet.pods().size() + " pods", "count", shims.size());
      recorder.add(name, NAME, "shims RSS total", "MB", rss / 1024.0);
      recorder.add(name, NAME, "shims PSS total", "MB", pss / 1024.0);
      recorder.add(name, NAME, TOTAL, "MB", (daemon.rssKb() + rss) / 1024.0);
    }
  }
}
