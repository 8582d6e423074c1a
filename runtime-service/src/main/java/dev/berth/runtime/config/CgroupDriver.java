package dev.berth.runtime.config;

/**
 * How container cgroups are named and created. Only cgroupfs exists so far; a systemd driver
 * would create scopes through systemd's D-Bus API instead of writing cgroupfs directly.
 */
public enum CgroupDriver {
  CGROUPFS("cgroupfs");

  private final String configName;

  CgroupDriver(String configName) {
    this.configName = configName;
  }

  public String configName() {
    return configName;
  }

  public static CgroupDriver parse(String text, String where) {
    for (CgroupDriver driver : values()) {
      if (driver.configName.equals(text)) {
        return driver;
      }
    }
    if ("systemd".equals(text)) {
      throw new ConfigException(where + ": cgroup driver 'systemd' is not supported yet; use 'cgroupfs'"
          + " and set the kubelet's cgroupDriver to cgroupfs");
    }
    throw new ConfigException(where + ": unknown cgroup driver '" + text + "' (use 'cgroupfs')");
  }
}
