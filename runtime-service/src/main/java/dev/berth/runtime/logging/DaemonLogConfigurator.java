package dev.berth.runtime.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.util.ContextInitializer;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * Berth's logging, set up in code: logback finds this class through {@code META-INF/services}
 * before it looks for a {@code logback.xml}. An XML file would cost every daemon logback's Joran
 * interpreter and the JDK's XML parser, some 600 classes that the AOT cache then loads and links
 * at every start, to say what these few lines say.
 *
 * <p>Logs go to stderr, one {@link DaemonLogLayout} line per event, so that systemd's journal (or
 * a test) captures them; {@code serve} sets the root level from the log-level flag or the
 * {@code log_level} key at start-up. A {@code -Dlogback.configurationFile} given to the JVM, or a
 * {@code logback-test.xml} on the classpath (tests' daemons), still wins, as in logback's own
 * order: logback's configurators then read that file instead.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_NORMAL_PRIORITY)
public final class DaemonLogConfigurator extends ContextAwareBase implements Configurator {

  private final ClassLoader classpath;

  /** Public, with no arguments: logback's service loader makes it. */
  public DaemonLogConfigurator() {
    this(DaemonLogConfigurator.class.getClassLoader());
  }

  /** Looks for a {@code logback-test.xml} in {@code classpath}. */
  DaemonLogConfigurator(ClassLoader classpath) {
    this.classpath = classpath;
  }

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    if (System.getProperty(ContextInitializer.CONFIG_FILE_PROPERTY) != null
        || classpath.getResource(ContextInitializer.TEST_AUTOCONFIG_FILE) != null) {
      return ExecutionStatus.INVOKE_NEXT_IF_ANY;
    }
    DaemonLogLayout layout = new DaemonLogLayout();
    layout.setContext(context);
    layout.start();
    LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
    encoder.setContext(context);
    encoder.setLayout(layout);
    encoder.start();
    ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
    stderr.setContext(context);
    stderr.setName("STDERR");
    stderr.setTarget("System.err");
    stderr.setEncoder(encoder);
    stderr.start();
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.INFO);
    root.addAppender(stderr);
    context.getLogger("io.netty").setLevel(Level.WARN);
    // grpc-netty asks every connection for SO_KEEPALIVE, which unix sockets lack.
    context.getLogger("io.netty.bootstrap").setLevel(Level.ERROR);
    context.getLogger("io.grpc").setLevel(Level.WARN);
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }
}
