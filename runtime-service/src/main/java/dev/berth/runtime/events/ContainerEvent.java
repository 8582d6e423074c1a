package dev.berth.runtime.events;

/** A container lifecycle change, as the kubelet's evented PLEG consumes them. */
public record ContainerEvent(String containerId, String sandboxId, Type type, long atNanos) {

  public enum Type {
    CREATED,
    STARTED,
    STOPPED,
    DELETED
  }
}
