package dev.berth.runtime.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator.ExecutionStatus;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.classic.util.ContextInitializer;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.status.Status;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** The daemon's logging as a node runs it: the line format, the levels, one message per line. */
class DaemonLogConfiguratorTest {

  /** What the configured context wrote to stderr while {@code logging} ran, as lines. */
  private static List<String> stderrLines(Consumer<LoggerContext> logging) {
    LoggerContext context = new LoggerContext();
    context.setMDCAdapter(new LogbackMDCAdapter());
    PrintStream stderr = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      DaemonLogConfigurator configurator = new DaemonLogConfigurator();
      configurator.setContext(context);
      assertEquals(ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY, configurator.configure(context));
      logging.accept(context);
    } finally {
      context.stop();
      System.setErr(stderr);
    }
    List<Status> errors = context.getStatusManager().getCopyOfStatusList().stream()
        .filter(status -> status.getLevel() != Status.INFO).toList();
    assertEquals(List.of(), errors, "logback reported problems with the configuration");
    return captured.toString(StandardCharsets.UTF_8).lines().toList();
  }

  @Test
  void aLineIsTimeLevelThreadAbbreviatedLoggerAndMessage() {
    Instant at = Instant.parse("2026-12-06T12:00:00.042Z");
    List<String> lines = stderrLines(context -> {
      Logger logger = context.getLogger("dev.berth.runtime.server.Daemon");
      LoggingEvent event = new LoggingEvent(Logger.class.getName(), logger, Level.INFO, "serving on {}", null,
          new Object[] {"/run/berth/berth.sock"});
      event.setInstant(at);
      event.setThreadName("main");
      logger.callAppenders(event);
    });
    // The zone is the JVM's, as on a node; the offset is written as +01:00, or Z for UTC.
    String time = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX").withZone(ZoneId.systemDefault())
        .format(at);
    assertEquals(List.of(time + " INFO  [main] d.b.r.server.Daemon - serving on /run/berth/berth.sock"), lines);
  }

  @Test
  void aLineBreakInsideAMessageCannotStartALine() {
    List<String> lines = stderrLines(context -> context.getLogger("dev.berth.cri.calls").warn(
        "RunPodSandbox failed: name {}", "web\n2026-12-06T12:00:00.000Z INFO  [main] forged\r\u2028\u0085end"));
    assertEquals(1, lines.size(), lines.toString());
    assertTrue(lines.getFirst().endsWith("WARN  [" + Thread.currentThread().getName()
        + "] dev.berth.cri.calls - RunPodSandbox failed: name web\\n2026-12-06T12:00:00.000Z INFO  [main] forged"
        + "\\n\\n\\nend"), lines.getFirst());
  }

  @Test
  void anExceptionIsFollowedByItsStackTrace() {
    List<String> lines = stderrLines(context -> context.getLogger("dev.berth.runtime.server.Daemon")
        .error("cannot stop", new IllegalStateException("boom", new java.io.IOException("disk full"))));
    assertTrue(lines.getFirst().endsWith("ERROR [" + Thread.currentThread().getName()
        + "] d.b.r.server.Daemon - cannot stop"), lines.getFirst());
    assertEquals("java.lang.IllegalStateException: boom", lines.get(1));
    assertTrue(lines.get(2).startsWith("\tat dev.berth.runtime.logging.DaemonLogConfiguratorTest"), lines.get(2));
    assertTrue(lines.contains("Caused by: java.io.IOException: disk full"), lines.toString());
  }

  @Test
  void infoAndAboveByDefaultAndLibrariesOnlyWhenSomethingIsWrong() {
    List<String> lines = stderrLines(context -> {
      context.getLogger("dev.berth.runtime.cri").debug("dropped: debug");
      context.getLogger("dev.berth.runtime.cri").info("kept: info");
      context.getLogger("io.netty.channel").info("dropped: netty info");
      context.getLogger("io.netty.channel").warn("kept: netty warn");
      context.getLogger("io.netty.bootstrap").warn("dropped: bootstrap warn");
      context.getLogger("io.netty.bootstrap").error("kept: bootstrap error");
      context.getLogger("io.grpc.internal").info("dropped: grpc info");
      context.getLogger("io.grpc.internal").warn("kept: grpc warn");
    });
    assertEquals(List.of("kept: info", "kept: netty warn", "kept: bootstrap error", "kept: grpc warn"),
        lines.stream().map(line -> line.substring(line.indexOf(" - ") + 3)).toList());
  }

  @Test
  void debugLevelOnTheRootLetsBerthsDebugThroughButNotTheLibraries() {
    // What `berth serve --log-level debug` does once the configuration is read.
    List<String> lines = stderrLines(context -> {
      context.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(Level.DEBUG);
      context.getLogger("dev.berth.runtime.cri").debug("kept: call latency");
      context.getLogger("io.netty.channel").debug("dropped: netty debug");
      context.getLogger("io.grpc.internal").info("dropped: grpc info");
    });
    assertEquals(1, lines.size(), lines.toString());
    assertTrue(lines.getFirst().contains(" DEBUG [") && lines.getFirst().endsWith(" - kept: call latency"),
        lines.getFirst());
  }

  @Test
  void aConfigurationFileGivenToTheJvmIsLeftToLogback() {
    String before = System.getProperty(ContextInitializer.CONFIG_FILE_PROPERTY);
    System.setProperty(ContextInitializer.CONFIG_FILE_PROPERTY, "/etc/berth/logback.xml");
    LoggerContext context = new LoggerContext();
    try {
      DaemonLogConfigurator configurator = new DaemonLogConfigurator();
      configurator.setContext(context);
      assertEquals(ExecutionStatus.INVOKE_NEXT_IF_ANY, configurator.configure(context));
      assertFalse(context.getLogger(Logger.ROOT_LOGGER_NAME).iteratorForAppenders().hasNext(),
          "no appender of ours beside the user's");
    } finally {
      if (before == null) {
        System.clearProperty(ContextInitializer.CONFIG_FILE_PROPERTY);
      } else {
        System.setProperty(ContextInitializer.CONFIG_FILE_PROPERTY, before);
      }
      context.stop();
    }
  }
}
