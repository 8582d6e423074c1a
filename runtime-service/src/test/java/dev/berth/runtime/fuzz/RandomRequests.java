package dev.berth.runtime.fuzz;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/**
 * Random and boundary CRI requests built from the contract's descriptors: empty, huge, unicode,
 * path-like and NUL strings, negative and extreme numbers, unknown enum values, deep messages.
 * Absolute paths always point below {@code sandbox}, so a request that happens to be valid can
 * only touch the test's own directory.
 */
final class RandomRequests {

  private final Random random;
  private final List<String> strings;

  RandomRequests(long seed, Path sandbox) {
    this.random = new Random(seed);
    String inside = sandbox.toString();
    this.strings = List.of("", "a", "x", "..", ".", "../../etc", "a/b", "ä✓ 日本語", "\u0000", "a\u0000b",
        "-1", "sha256:", "busybox", "UPPER", " ", "\n", "%s%n", "0123456789abcdef",
        "a".repeat(300), "z".repeat(70_000), inside, inside + "/logs", inside + "/mnt/data", inside + "/x.log",
        "registry.invalid.test/none:1", "docker.io/library/busybox:berth-test", "k8s.io/../../x");
  }

  /**
   * An image reference as a hostile or broken client might send it: garbage, huge, control
   * characters, path segments, digests of the wrong length or case, upper case, bad ports and
   * tags, and now and then a valid one (the test image, an unknown image id) mangled at random.
   */
  String imageReference() {
    String digest = "sha256:" + hex(64);
    List<String> shapes = List.of(
        "", " ", "\u0000", "a\u0000b", "busybox\n", "busybox\r\nX-Forged: 1", "\u001b[2Jbusybox", "busy\u2028box",
        "..", ".", "../../etc/passwd", "k8s.io/../../x", "/", "/etc", "/nonexistent/archive.tar", "a//b", "//a",
        "busybox@" + digest.substring(0, 20), "busybox@sha256:" + hex(63), "busybox@sha256:" + hex(65),
        "busybox@" + digest.toUpperCase(), "busybox@sha512:" + hex(128), "busybox@", "@" + digest, "sha256:",
        "sha256:" + hex(63), "sha256:" + hex(64), hex(12), hex(70), "UPPER", "Docker.io/Library/Busybox:Latest",
        "busybox:", "busybox:" + "t".repeat(129), "busybox:-tag", "busybox:ta g", "localhost:99999999999/x",
        "[::1]:5000/x:1", "[zz]/x", "registry.invalid.test:0/x", "a".repeat(256) + "/b", "z".repeat(70_000),
        "ä✓ 日本語", "%s%n", "busybox:berth-test@" + digest, "docker.io/library/busybox:berth-test");
    String reference = shapes.get(random.nextInt(shapes.size()));
    return switch (random.nextInt(4)) {
      case 0 -> mangle(reference);
      default -> reference;
    };
  }

  /** One random character replaced by one from anywhere in the 16-bit range (controls included). */
  private String mangle(String text) {
    if (text.isEmpty()) {
      return String.valueOf((char) random.nextInt(0x10000));
    }
    StringBuilder out = new StringBuilder(text);
    out.setCharAt(random.nextInt(text.length()), (char) random.nextInt(0x10000));
    return out.toString();
  }

  private String hex(int digits) {
    StringBuilder out = new StringBuilder(digits);
    for (int i = 0; i < digits; i++) {
      out.append(Character.forDigit(random.nextInt(16), 16));
    }
    return out.toString();
  }

  DynamicMessage message(Descriptor type, int depth) {
    DynamicMessage.Builder builder = DynamicMessage.newBuilder(type);
    for (FieldDescriptor field : type.getFields()) {
      if (random.nextInt(3) == 0) {
        continue;
      }
      if (field.isMapField()) {
        for (int i = random.nextInt(3); i > 0; i--) {
          builder.addRepeatedField(field, message(field.getMessageType(), depth + 1));
        }
      } else if (field.isRepeated()) {
        for (int i = random.nextInt(3); i > 0; i--) {
          Object value = value(field, depth);
          if (value != null) {
            builder.addRepeatedField(field, value);
          }
        }
      } else {
        Object value = value(field, depth);
        if (value != null) {
          builder.setField(field, value);
        }
      }
    }
    return builder.build();
  }

  private Object value(FieldDescriptor field, int depth) {
    return switch (field.getJavaType()) {
      case STRING -> strings.get(random.nextInt(strings.size()));
      case BYTE_STRING -> ByteString.copyFromUtf8(strings.get(random.nextInt(strings.size())));
      case BOOLEAN -> random.nextBoolean();
      case INT -> pick(0, 1, -1, Integer.MAX_VALUE, Integer.MIN_VALUE, 80, 65536);
      case LONG -> (long) pick(0, 1, -1, Integer.MAX_VALUE, Integer.MIN_VALUE, 1 << 20, 4096);
      case FLOAT -> random.nextFloat();
      case DOUBLE -> random.nextDouble();
      case ENUM -> enumValue(field.getEnumType());
      case MESSAGE -> depth < 4 ? message(field.getMessageType(), depth + 1) : null;
    };
  }

  private int pick(int... values) {
    return values[random.nextInt(values.length)];
  }

  /** A known value mostly; sometimes a number the contract does not define. */
  private Object enumValue(EnumDescriptor type) {
    if (random.nextInt(4) == 0) {
      return type.findValueByNumberCreatingIfUnknown(1000 + random.nextInt(1000));
    }
    return type.getValues().get(random.nextInt(type.getValues().size()));
  }
}
