package dev.berth.runtime.shims;

import dev.berth.shim.ConmonShim;
import java.util.List;

/**
 * One kind of object whose processes run under a conmon (containers, pods' infra processes), as
 * the {@link ShimMonitor} sees it. Implemented by the object's manager, so that the monitor knows
 * ids only, never the managers.
 */
public interface ShimOwner {

  /** What the monitor calls these objects in its log lines ("container", "pod sandbox"). */
  String kind();

  /** The objects whose conmon should be alive now. */
  List<String> idsWithShims();

  /**
   * Whether what watches over {@code id}'s processes still runs. By default its conmon, as
   * {@code shims} knows it; an owner whose objects may run without one (a pod's infra) says.
   */
  default boolean alive(ConmonShim shims, String id) {
    return shims.isShimAlive(id);
  }

  /**
   * The conmon of {@code id} was found dead. Settles the object; called again at the next check
   * while it throws, and a no-op once the object is settled or gone.
   */
  void onShimDeath(String id);
}
