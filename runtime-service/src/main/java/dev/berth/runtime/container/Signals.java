package dev.berth.runtime.container;

import dev.berth.runtime.model.CriException;
import java.util.Locale;
import java.util.Map;

/** Signal names (as images and CRI name them) to numbers on Linux x86-64. */
public final class Signals {

  private static final Map<String, Integer> NUMBERS = Map.ofEntries(
      Map.entry("SIGHUP", 1), Map.entry("SIGINT", 2), Map.entry("SIGQUIT", 3), Map.entry("SIGILL", 4),
      Map.entry("SIGTRAP", 5), Map.entry("SIGABRT", 6), Map.entry("SIGIOT", 6), Map.entry("SIGBUS", 7),
      Map.entry("SIGFPE", 8), Map.entry("SIGKILL", 9), Map.entry("SIGUSR1", 10), Map.entry("SIGSEGV", 11),
      Map.entry("SIGUSR2", 12), Map.entry("SIGPIPE", 13), Map.entry("SIGALRM", 14), Map.entry("SIGTERM", 15),
      Map.entry("SIGSTKFLT", 16), Map.entry("SIGCHLD", 17), Map.entry("SIGCLD", 17), Map.entry("SIGCONT", 18),
      Map.entry("SIGSTOP", 19), Map.entry("SIGTSTP", 20), Map.entry("SIGTTIN", 21), Map.entry("SIGTTOU", 22),
      Map.entry("SIGURG", 23), Map.entry("SIGXCPU", 24), Map.entry("SIGXFSZ", 25), Map.entry("SIGVTALRM", 26),
      Map.entry("SIGPROF", 27), Map.entry("SIGWINCH", 28), Map.entry("SIGIO", 29), Map.entry("SIGPOLL", 29),
      Map.entry("SIGPWR", 30), Map.entry("SIGSYS", 31), Map.entry("SIGRTMIN", 34), Map.entry("SIGRTMAX", 64));

  public static final int SIGKILL = 9;
  public static final int SIGTERM = 15;

  private Signals() {}

  /** "SIGTERM", "TERM", "15" and "sigterm" all name SIGTERM. */
  public static int number(String name) {
    String upper = name.trim().toUpperCase(Locale.ROOT);
    if (!upper.isEmpty() && upper.length() <= 2 && upper.chars().allMatch(Character::isDigit)) {
      int number = Integer.parseInt(upper);
      if (number >= 1 && number <= 64) {
        return number;
      }
    }
    Integer number = NUMBERS.get(upper.startsWith("SIG") ? upper : "SIG" + upper);
    if (number == null) {
      throw new CriException.InvalidArgument("unknown stop signal '" + name + "'");
    }
    return number;
  }
}
