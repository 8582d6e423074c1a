package dev.berth.runtime.container;

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

  public static final String UNCONFINED = "unconfined";
  public static final String RUNTIME_DEFAULT = "runtime/default";
  public static final String LOCALHOST_PREFIX = "localhost/";

  public static final SecurityRequest DEFAULT =
      new SecurityRequest(false, List.of(), List.of(), false, null, null, List.of(), UNCONFINED, false);
}
