package dev.berth.runtime.model;

import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * Objects by id, kept sorted so that a unique prefix finds its object in O(log n), as the CRI
 * list filters and crictl's short ids need.
 */
public final class IdIndex<T> {

  private final ConcurrentSkipListMap<String, T> byId = new ConcurrentSkipListMap<>();

  public void put(String id, T value) {
    byId.put(id, value);
  }

  public void remove(String id) {
    byId.remove(id);
  }

  public Optional<T> get(String id) {
    return Optional.ofNullable(byId.get(id));
  }

  /** The one object whose id starts with {@code prefix}; empty when none; an error when several. */
  public Optional<T> findByPrefix(String prefix, String kind) {
    T exact = byId.get(prefix);
    if (exact != null) {
      return Optional.of(exact);
    }
    NavigableMap<String, T> tail = byId.tailMap(prefix, true);
    Map.Entry<String, T> first = tail.firstEntry();
    if (first == null || !first.getKey().startsWith(prefix)) {
      return Optional.empty();
    }
    Map.Entry<String, T> second = tail.higherEntry(first.getKey());
    if (second != null && second.getKey().startsWith(prefix)) {
      throw new CriException.InvalidArgument(kind + " id prefix '" + prefix + "' is ambiguous");
    }
    return Optional.of(first.getValue());
  }

  public List<T> values() {
    return List.copyOf(byId.values());
  }

  public int size() {
    return byId.size();
  }
}
