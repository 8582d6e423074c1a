package dev.berth.runtime.container;

public enum ContainerState {
  CREATED,
  RUNNING,
  EXITED,
  UNKNOWN
}
