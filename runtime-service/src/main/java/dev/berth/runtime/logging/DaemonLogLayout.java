package dev.berth.runtime.logging;

import ch.qos.logback.classic.pattern.TargetLengthBasedClassNameAbbreviator;
import ch.qos.logback.classic.pattern.ThrowableProxyConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.LayoutBase;
import ch.qos.logback.core.util.CachingDateFormatter;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One line per event, the line Berth has always written (logback's pattern
 * {@code %d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level [%thread] %logger{20} - %replace(%msg){...}%n},
 * then the stack trace of an exception):
 * {@code 2026-12-06T12:00:00.042Z INFO  [main] d.b.r.server.Daemon - serving on ...}.
 * Written in code rather than as a pattern: logback's pattern layout registers every converter it
 * knows and parses the pattern, some 130 classes that the AOT cache loads at every start.
 *
 * <p>A line break inside a message is written as {@code \n}: whatever a caller managed to get into
 * a message, it cannot start a line of its own.
 */
final class DaemonLogLayout extends LayoutBase<ILoggingEvent> {

  private static final Pattern LINE_BREAK = Pattern.compile("[\r\n\u0085\u2028\u2029]");
  private static final String ESCAPED_LINE_BREAK = Matcher.quoteReplacement("\\n");
  /** Logger names are shortened to about this many characters: {@code d.b.r.server.Daemon}. */
  private static final int LOGGER_NAME_LENGTH = 20;

  // The JVM's time zone, as the pattern's %d; the formatter reuses the text within a millisecond.
  private final CachingDateFormatter time = new CachingDateFormatter("yyyy-MM-dd'T'HH:mm:ss.SSSXXX");
  private final TargetLengthBasedClassNameAbbreviator loggerName =
      new TargetLengthBasedClassNameAbbreviator(LOGGER_NAME_LENGTH);
  private final ThrowableProxyConverter stackTrace = new ThrowableProxyConverter();

  @Override
  public void start() {
    stackTrace.setContext(getContext());
    stackTrace.start();
    super.start();
  }

  @Override
  public void stop() {
    stackTrace.stop();
    super.stop();
  }

  /** Called by many threads at once: the appender encodes outside its lock. */
  @Override
  public String doLayout(ILoggingEvent event) {
    StringBuilder line = new StringBuilder(128);
    line.append(time.format(event.getTimeStamp())).append(' ');
    String level = event.getLevel().toString();
    line.append(level);
    for (int pad = level.length(); pad < 5; pad++) {
      line.append(' ');
    }
    line.append(" [").append(event.getThreadName()).append("] ")
        .append(loggerName.abbreviate(event.getLoggerName())).append(" - ")
        .append(LINE_BREAK.matcher(event.getFormattedMessage()).replaceAll(ESCAPED_LINE_BREAK))
        .append(CoreConstants.LINE_SEPARATOR)
        .append(stackTrace.convert(event));
    return line.toString();
  }
}
