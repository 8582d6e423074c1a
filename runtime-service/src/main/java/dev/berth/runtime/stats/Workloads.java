package dev.berth.runtime.stats;

import java.util.List;
import java.util.Optional;

/**
 * The pods and containers of the node as the stats collector reads them. Defined here and
 * implemented by the side that owns the records, so that stats and metrics depend on the
 * managers' values only through this, never on the managers themselves.
 */
public interface Workloads {

  List<PodSnapshot> pods();

  List<ContainerSnapshot> containers();

  /** The containers of one pod: only those are snapshot, so a stats call per pod stays linear. */
  List<ContainerSnapshot> containersOf(String podId);

  Optional<PodSnapshot> pod(String id);
}
