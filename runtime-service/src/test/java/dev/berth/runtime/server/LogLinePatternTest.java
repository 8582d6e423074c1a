package dev.berth.runtime.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The daemon's own logback.xml, as a node runs it: one message, one line. */
class LogLinePatternTest {

  @Test
  void aLineBreakInsideAMessageCannotStartALine() throws Exception {
    LoggerContext context = new LoggerContext();
    context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    PrintStream stderr = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      configurator.doConfigure(LogLinePatternTest.class.getResource("/logback.xml"));
      context.getLogger("dev.berth.cri.calls").warn("RunPodSandbox failed: name {}",
          "web\n2026-12-06T12:00:00.000Z INFO  [main] forged\r\u2028\u0085end");
    } finally {
      context.stop();
      System.setErr(stderr);
    }
    List<String> lines = captured.toString(StandardCharsets.UTF_8).lines().toList();
    assertEquals(1, lines.size(), lines + " " + context.getStatusManager().getCopyOfStatusList());
    assertTrue(lines.getFirst().endsWith("RunPodSandbox failed: name web\\n2026-12-06T12:00:00.000Z INFO  [main] forged"
        + "\\n\\n\\nend"), lines.getFirst());
  }
}
