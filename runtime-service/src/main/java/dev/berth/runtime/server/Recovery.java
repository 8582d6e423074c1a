package dev.berth.runtime.server;

import dev.berth.runtime.container.Container;
import dev.berth.runtime.container.ContainerManager;
import dev.berth.runtime.model.Clock;
import dev.berth.runtime.recovery.HalfMadeObjects;
import dev.berth.runtime.recovery.StartedWhileDown;
import dev.berth.runtime.sandbox.PodNamespaces;
import dev.berth.runtime.sandbox.Sandbox;
import dev.berth.runtime.sandbox.SandboxManager;
import dev.berth.runtime.sandbox.SandboxState;
import dev.berth.runtime.store.RecordStore;
import dev.berth.shim.ConmonShim;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Start-up: every sandbox and container on disk is loaded and reconciled with what is really
 * running before the socket opens. A live shim means the container still runs; an exit file
 * gives its real exit code and time; neither means it is gone, reported with reason Unknown.
 * Objects whose create was cut short are undone first ({@link HalfMadeObjects}), and a container
 * started after its record was last saved is recorded as running ({@link StartedWhileDown}).
 */
final class Recovery {

  private static final Logger log = LoggerFactory.getLogger(Recovery.class);

  private Recovery() {}

  static void run(RecordStore<Sandbox> sandboxStore, RecordStore<Container> containerStore,
      SandboxManager sandboxes, ContainerManager containers, ConmonShim shim, HalfMadeObjects halfMade,
      StartedWhileDown startedWhileDown) throws IOException {
    // Before loading: a half-made object is no object, and must not be adopted or leak.
    halfMade.undoAll();
    RecordStore.Loaded<Sandbox> loadedSandboxes = sandboxStore.loadAll();
    for (Sandbox sandbox : loadedSandboxes.records()) {
      Sandbox current = sandbox;
      PodNamespaces namespaces = sandboxes.namespaces(sandbox);
      if (sandbox.state() == SandboxState.READY && !namespaces.alive(sandbox)) {
        current = sandbox.withState(SandboxState.NOT_READY);
        sandboxStore.save(current.id(), current);
        log.warn("pod sandbox {}: its {} gone; marked not ready", sandbox.id(), namespaces.holder());
      }
      sandboxes.adopt(current);
    }
    RecordStore.Loaded<Container> loadedContainers = containerStore.loadAll();
    for (Container container : loadedContainers.records()) {
      Container current = startedWhileDown.reconcile(container);
      if (current != container) {
        containerStore.save(current.id(), current);
      }
      if (current.isLive() && shim.exit(container.id()).isEmpty() && !shim.isShimAlive(container.id())) {
        current = current.exited(Clock.nowNanos(), 255, "Unknown",
            "the container's shim was gone when berth restarted");
        containerStore.save(current.id(), current);
        log.warn("container {}: shim is gone; marked exited (Unknown)", container.id());
      }
      containers.adopt(current);
      if (current.isLive()) {
        // Exits that happened while the daemon was down: the exit file holds code and time.
        shim.exit(current.id()).ifPresent(exit -> containers.onExit(container.id(), exit));
      }
    }
    log.info("recovered {} pod sandboxes and {} containers ({} quarantined)",
        loadedSandboxes.records().size(), loadedContainers.records().size(),
        loadedSandboxes.quarantined().size() + loadedContainers.quarantined().size());
  }

}
