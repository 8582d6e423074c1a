package dev.berth.runtime.sandbox;

/** What the sandbox manager needs from the containers of a pod when the pod stops or goes. */
public interface PodContainers {

  /** Kills every live container of the pod and waits until they are gone. */
  void stopAll(String sandboxId);

  /** Removes every container of the pod. */
  void removeAll(String sandboxId);
}
