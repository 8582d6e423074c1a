package dev.berth.runtime.sandbox;

/** What makes a pod sandbox unique for the kubelet: name, uid, namespace and attempt. */
public record PodName(String name, String uid, String namespace, int attempt) {

  /** The reserved name, in the form containerd uses, so that errors read the same. */
  public String key() {
    return name + "_" + namespace + "_" + uid + "_" + attempt;
  }
}
