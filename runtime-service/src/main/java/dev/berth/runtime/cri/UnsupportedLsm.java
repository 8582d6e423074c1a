package dev.berth.runtime.cri;

import dev.berth.cri.v1.LinuxContainerSecurityContext;
import dev.berth.cri.v1.SecurityProfile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * AppArmor and SELinux options on a host that has neither: accepted, as containerd does, and
 * said once in the log so that an operator knows they had no effect.
 */
final class UnsupportedLsm {

  private static final Logger log = LoggerFactory.getLogger(UnsupportedLsm.class);
  private static final boolean APPARMOR = Files.isDirectory(Path.of("/sys/kernel/security/apparmor"));
  private static final boolean SELINUX = Files.isDirectory(Path.of("/sys/fs/selinux"));
  private static final AtomicBoolean apparmorLogged = new AtomicBoolean();
  private static final AtomicBoolean selinuxLogged = new AtomicBoolean();

  private UnsupportedLsm() {}

  static void note(LinuxContainerSecurityContext security) {
    boolean apparmorAsked = !security.getApparmorProfile().isEmpty()
        || (security.hasApparmor() && security.getApparmor().getProfileType() != SecurityProfile.ProfileType.Unconfined);
    if (apparmorAsked && !APPARMOR && apparmorLogged.compareAndSet(false, true)) {
      log.info("AppArmor profiles are ignored: this host has no AppArmor (logged once)");
    }
    if (security.hasSelinuxOptions() && !SELINUX && selinuxLogged.compareAndSet(false, true)) {
      log.info("SELinux options are ignored: this host has no SELinux (logged once)");
    }
  }
}
