package dev.berth.runtime.container;

import dev.berth.runtime.oci.SeccompProfiles;
import java.util.List;

/**
 * A container's security context in domain terms.
 *
 * @param capabilitiesAdd capability names without the CAP_ prefix, or "ALL"
 * @param maskedPaths null for the defaults, otherwise exactly these
 * @param readonlyPaths null for the defaults, otherwise exactly these
 * @param seccomp "unconfined", "runtime/default", or "localhost/<absolute path>"
 * @param strictSupplementalGroups the Strict policy: the groups of the image's /etc/group are not
 *     added, only the primary group and {@code supplementalGroups}
 */
public record SecurityRequest(
    boolean privileged,
    List<String> capabilitiesAdd,
    List<String> capabilitiesDrop,
    boolean noNewPrivileges,
    List<String> maskedPaths,
    List<String> readonlyPaths,
    List<Long> supplementalGroups,
    String seccomp,
    boolean strictSupplementalGroups) {

  public static final String UNCONFINED = SeccompProfiles.UNCONFINED;
  public static final String RUNTIME_DEFAULT = SeccompProfiles.RUNTIME_DEFAULT;
  public static final String LOCALHOST_PREFIX = SeccompProfiles.LOCALHOST_PREFIX;

  public static final SecurityRequest DEFAULT =
      new SecurityRequest(false, List.of(), List.of(), false, null, null, List.of(), UNCONFINED, false);
}
