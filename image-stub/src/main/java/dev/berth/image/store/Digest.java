package dev.berth.image.store;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** A sha256 content digest, {@code sha256:<64 lower-case hex>}; nothing else is accepted. */
public record Digest(String hex) {

  private static final Pattern HEX = Pattern.compile("[a-f0-9]{64}");

  public Digest {
    if (hex == null || !HEX.matcher(hex).matches()) {
      throw new IllegalArgumentException("not a sha256 digest: " + hex);
    }
  }

  @JsonCreator
  public static Digest parse(String text) {
    if (text == null || !text.startsWith("sha256:")) {
      throw new IllegalArgumentException("not a sha256 digest: " + text);
    }
    return new Digest(text.substring("sha256:".length()));
  }

  public static Digest of(byte[] content) {
    return new Digest(HexFormat.of().formatHex(sha256().digest(content)));
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK always has SHA-256", e);
    }
  }

  // equals and hashCode written out: a record's own are linked at their first call through
  // ObjectMethods' bootstrap, which JDK 25's AOT cache does not keep, and the image store's
  // garbage collection at open put the first such call (a set of digests) on a fresh daemon's
  // path to its socket: 120 ms of the main thread in one traced start at load ~8 (bench/README.md,
  // 2026-12-07 16:10).
  @Override
  public boolean equals(Object other) {
    return other instanceof Digest digest && hex.equals(digest.hex);
  }

  @Override
  public int hashCode() {
    return hex.hashCode();
  }

  @JsonValue
  @Override
  public String toString() {
    return "sha256:" + hex;
  }
}
