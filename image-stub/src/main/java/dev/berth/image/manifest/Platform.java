package dev.berth.image.manifest;

/** An image platform; the node's own is linux/amd64 (or linux/arm64 on such a JVM). */
public record Platform(String os, String architecture, String variant) {

  public static Platform host() {
    String arch = System.getProperty("os.arch");
    return new Platform("linux", switch (arch) {
      case "amd64", "x86_64" -> "amd64";
      case "aarch64", "arm64" -> "arm64";
      default -> arch;
    }, null);
  }

  public boolean matches(Platform other) {
    return other != null && os.equals(other.os) && architecture.equals(other.architecture);
  }

  @Override
  public String toString() {
    return os + "/" + architecture + (variant != null ? "/" + variant : "");
  }
}
