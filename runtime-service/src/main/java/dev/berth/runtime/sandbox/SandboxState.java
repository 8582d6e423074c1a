package dev.berth.runtime.sandbox;

public enum SandboxState {
  READY,
  NOT_READY
}
