package dev.berth.bench;

import dev.berth.bench.report.Growth;
import dev.berth.bench.report.JsonReport;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code bench growth FROM.json TO.json}: how each figure of two runs' JSON grew with the pod count. */
@Command(name = "growth", description = "Compare two runs' JSON (e.g. 100 and 250 pods): each p50 and its growth.")
final class GrowthCommand implements Callable<Integer> {

  @Parameters(index = "0", paramLabel = "FROM", description = "JSON of the run with fewer pods.")
  Path from;

  @Parameters(index = "1", paramLabel = "TO", description = "JSON of the run with more pods.")
  Path to;

  @Override
  public Integer call() throws Exception {
    JsonReport.Document earlier = Growth.read(from);
    JsonReport.Document later = Growth.read(to);
    List<Growth.Row> rows = Growth.compare(earlier, later);
    Growth.print(earlier, later, rows, System.out);
    return 0;
  }
}
