package dev.berth.runtime.model;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Reserves unique names (a pod's name, uid, namespace and attempt; a container's name within
 * its pod) for the id that holds them, so that a second create with the same name fails with an
 * error naming the holder, as the kubelet expects.
 */
public final class NameRegistry {

  private final String kind;
  private final ConcurrentHashMap<String, String> holders = new ConcurrentHashMap<>();

  public NameRegistry(String kind) {
    this.kind = kind;
  }

  public void reserve(String name, String id) {
    String holder = holders.putIfAbsent(name, id);
    if (holder != null && !holder.equals(id)) {
      throw new CriException.AlreadyExists(kind + " name \"" + name + "\" is already reserved for " + kind + " " + holder);
    }
  }

  public void release(String name, String id) {
    holders.remove(name, id);
  }
}
