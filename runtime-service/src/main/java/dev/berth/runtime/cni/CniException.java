package dev.berth.runtime.cni;

/**
 * A CNI operation failed. When a plugin reported the failure, {@link #plugin()} names it and
 * {@link #code()}, {@link #pluginMessage()} and {@link #details()} are what it wrote on stdout
 * (the spec's error object); otherwise the plugin is the one being run, or empty when none was.
 */
public final class CniException extends Exception {

  /** No code: the plugin wrote no error object, or the failure was not the plugin's. */
  public static final int NO_CODE = -1;

  private final String plugin;
  private final int code;
  private final String pluginMessage;
  private final String details;

  public CniException(String plugin, int code, String pluginMessage, String details) {
    super(describe(plugin, code, pluginMessage, details));
    this.plugin = plugin == null ? "" : plugin;
    this.code = code;
    this.pluginMessage = pluginMessage == null ? "" : pluginMessage;
    this.details = details == null ? "" : details;
  }

  /** A failure around the plugins rather than inside one: config, cache, I/O. */
  public CniException(String message, Throwable cause) {
    super(message, cause);
    this.plugin = "";
    this.code = NO_CODE;
    this.pluginMessage = message;
    this.details = "";
  }

  public String plugin() {
    return plugin;
  }

  public int code() {
    return code;
  }

  public String pluginMessage() {
    return pluginMessage;
  }

  public String details() {
    return details;
  }

  private static String describe(String plugin, int code, String msg, String details) {
    StringBuilder text = new StringBuilder("CNI plugin ").append(plugin).append(" failed");
    if (code != NO_CODE) {
      text.append(" (code ").append(code).append(')');
    }
    text.append(": ").append(msg);
    if (details != null && !details.isEmpty()) {
      text.append(" (").append(details).append(')');
    }
    return text.toString();
  }
}
