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

  @JsonValue
  @Override
  public String toString() {
    return "sha256:" + hex;
  }
}
