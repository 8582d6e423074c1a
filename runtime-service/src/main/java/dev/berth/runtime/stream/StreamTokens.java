package dev.berth.runtime.stream;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Single-use, expiring tokens for streaming URLs. A token is 128 random bits: knowing one URL
 * tells nothing about another, and a token works once, within its time to live.
 */
public final class StreamTokens {

  private record Entry(StreamRequest request, long expiresAtNanos) {}

  private final SecureRandom random = new SecureRandom();
  private final Map<String, Entry> tokens = new ConcurrentHashMap<>();
  private final long ttlNanos;
  private final LongSupplier nanoTime;

  public StreamTokens(Duration ttl, LongSupplier nanoTime) {
    if (ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("token time to live must be positive: " + ttl);
    }
    this.ttlNanos = ttl.toNanos();
    this.nanoTime = nanoTime;
  }

  public StreamTokens(Duration ttl) {
    this(ttl, System::nanoTime);
  }

  public String issue(StreamRequest request) {
    long now = nanoTime.getAsLong();
    purgeExpired(now);
    byte[] bytes = new byte[16];
    random.nextBytes(bytes);
    String token = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    tokens.put(token, new Entry(request, now + ttlNanos));
    return token;
  }

  /** The request the token stands for, once: the token is gone afterwards. Empty when unknown or expired. */
  public Optional<StreamRequest> consume(String token) {
    Entry entry = token == null ? null : tokens.remove(token);
    if (entry == null || nanoTime.getAsLong() - entry.expiresAtNanos() > 0) {
      return Optional.empty();
    }
    return Optional.of(entry.request());
  }

  public int size() {
    return tokens.size();
  }

  private void purgeExpired(long now) {
    for (Iterator<Entry> it = tokens.values().iterator(); it.hasNext(); ) {
      if (now - it.next().expiresAtNanos() > 0) {
        it.remove();
      }
    }
  }
}
