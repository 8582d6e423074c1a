package dev.berth.runtime.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.Configurator.ExecutionStatus;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.classic.util.ContextInitializer;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.status.Status;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.TimeZone;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The daemon's logging as a node runs it: the line format, the levels, one message per line. */
class DaemonLogConfiguratorTest {

  /** The pattern of the logback.xml that Berth shipped until 2026-12-07: its lines must not change. */
  private static final String FORMER_PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level [%thread] %logger{20} - "
      + "%replace(%msg){'[\\r\\n\\u0085\\u2028\\u2029]', '\\\\n'}%n";

  /**
   * A node's classpath: no logback-test.xml. The tests' own has one (image-stub's test jar), which
   * the configurator would leave to logback.
   */
  private static final ClassLoader NO_LOGBACK_FILES = new ClassLoader(null) { };

  /** What the configured context wrote to stderr while {@code logging} ran, as lines. */
  private static List<String> stderrLines(Consumer<LoggerContext> logging) {
    LoggerContext context = new LoggerContext();
    context.setMDCAdapter(new LogbackMDCAdapter());
    PrintStream stderr = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      DaemonLogConfigurator configurator = new DaemonLogConfigurator(NO_LOGBACK_FILES);
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
      DaemonLogConfigurator configurator = new DaemonLogConfigurator(NO_LOGBACK_FILES);
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

  @Test
  void aLogbackTestFileOnTheClasspathIsLeftToLogback(@TempDir Path classes) throws Exception {
    Files.writeString(classes.resolve("logback-test.xml"), "<configuration/>");
    LoggerContext context = new LoggerContext();
    try (URLClassLoader withTestFile = new URLClassLoader(new URL[] {classes.toUri().toURL()}, null)) {
      DaemonLogConfigurator configurator = new DaemonLogConfigurator(withTestFile);
      configurator.setContext(context);
      assertEquals(ExecutionStatus.INVOKE_NEXT_IF_ANY, configurator.configure(context));
      assertFalse(context.getLogger(Logger.ROOT_LOGGER_NAME).iteratorForAppenders().hasNext());
    } finally {
      context.stop();
    }
  }

  @Test
  void theLayoutWritesExactlyWhatTheFormerPatternWrote() {
    TimeZone zone = TimeZone.getDefault();
    try {
      for (String zoneId : List.of("UTC", "Asia/Kolkata", "America/St_Johns")) {
        TimeZone.setDefault(TimeZone.getTimeZone(zoneId));
        LoggerContext context = new LoggerContext();
        PatternLayout former = new PatternLayout();
        former.setContext(context);
        former.setPattern(FORMER_PATTERN);
        former.start();
        DaemonLogLayout layout = new DaemonLogLayout();
        layout.setContext(context);
        layout.start();
        Exception failure = new IllegalStateException("boom\nsecond line", new java.io.IOException("disk full"));
        for (String loggerName : List.of("dev.berth.runtime.server.Daemon", "dev.berth.cri.calls", "io.netty.bootstrap.X",
            "a", "dev.berth.runtime.container.internal.AVeryLongClassNameIndeed")) {
          for (Level level : List.of(Level.TRACE, Level.DEBUG, Level.INFO, Level.WARN, Level.ERROR)) {
            for (String message : List.of("plain", "two\nlines\r\u2028\u0085 and a \\n already", "{} and {}", "")) {
              for (Throwable thrown : java.util.Arrays.asList(null, failure)) {
                LoggingEvent event = new LoggingEvent(Logger.class.getName(), context.getLogger(loggerName), level,
                    message, thrown, new Object[] {"x\ny", 42});
                event.setInstant(Instant.parse("2026-03-29T01:30:00.007Z"));
                event.setThreadName("grpc-default-executor-0");
                assertEquals(former.doLayout(event), layout.doLayout(event), zoneId + " " + loggerName + " " + message);
              }
            }
          }
        }
        context.stop();
      }
    } finally {
      TimeZone.setDefault(zone);
    }
  }
}
