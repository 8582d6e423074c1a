package dev.berth.runtime.userns;

/**
 * One range of a user namespace's uid or gid map: ids {@code containerId ..
 * containerId+length-1} inside are {@code hostId ..} outside. Unsigned 32-bit values, kept in
 * longs.
 */
public record IdMapping(long containerId, long hostId, long length) {

  private static final long ID_SPACE = 1L << 32;

  public IdMapping {
    if (length <= 0 || containerId < 0 || hostId < 0 || containerId + length > ID_SPACE || hostId + length > ID_SPACE) {
      throw new IllegalArgumentException("id mapping " + containerId + " " + hostId + " " + length
          + " is empty or leaves the 32-bit id space");
    }
  }

  /** The line of {@code /proc/PID/uid_map} (and {@code gid_map}) that writes this range. */
  public String mapLine() {
    return containerId + " " + hostId + " " + length + "\n";
  }

  /** The host id of {@code id} inside, or -1 when this range does not map it. */
  public long toHost(long id) {
    return id >= containerId && id < containerId + length ? hostId + (id - containerId) : -1;
  }
}
