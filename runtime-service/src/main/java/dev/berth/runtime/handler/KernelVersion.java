package dev.berth.runtime.handler;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The running kernel's major.minor, read once from {@code /proc/sys/kernel/osrelease}. */
public record KernelVersion(int major, int minor) {

  private static final Pattern RELEASE = Pattern.compile("^(\\d+)\\.(\\d+)");

  /** The version at the start of a release string such as {@code 6.1.0-18-amd64}. */
  public static KernelVersion parse(String release) {
    Matcher m = RELEASE.matcher(release.strip());
    if (!m.find()) {
      throw new IllegalArgumentException("not a kernel release: \"" + release.strip() + "\"");
    }
    return new KernelVersion(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
  }

  public boolean atLeast(int wantMajor, int wantMinor) {
    return major > wantMajor || (major == wantMajor && minor >= wantMinor);
  }

  /**
   * mount_setattr(2), which sets mount attributes on a whole tree ({@code AT_RECURSIVE}) and
   * idmaps mounts, came with Linux 5.12.
   */
  public boolean hasMountSetattr() {
    return atLeast(5, 12);
  }
}
