package dev.berth.runtime.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The built-in rootfs of every pod's infra process: just a static catatonit, so that a pod
 * starts without a registry or a pause image. Shared read-only by all pods.
 */
public final class InfraRootfs {

  public static final String INIT = "/catatonit";

  private InfraRootfs() {}

  /** Makes {@code dir} hold a copy of {@code catatonit}, refreshed when the binary changed. */
  public static Path prepare(Path dir, Path catatonit) throws IOException {
    if (!Files.isExecutable(catatonit)) {
      throw new IOException("catatonit not found at " + catatonit + " (Debian package catatonit)");
    }
    Path target = dir.resolve("catatonit");
    if (Files.exists(target) && Files.size(target) == Files.size(catatonit)
        && Files.getLastModifiedTime(target).compareTo(Files.getLastModifiedTime(catatonit)) >= 0) {
      return dir;
    }
    Files.createDirectories(dir);
    for (String mountpoint : new String[] {"proc", "dev", "sys", "etc"}) {
      Files.createDirectories(dir.resolve(mountpoint));
    }
    Path temp = dir.resolve(".catatonit.tmp");
    Files.copy(catatonit, temp, StandardCopyOption.REPLACE_EXISTING);
    Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("r-xr-xr-x"));
    Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    return dir;
  }
}
