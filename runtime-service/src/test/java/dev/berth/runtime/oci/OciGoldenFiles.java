package dev.berth.runtime.oci;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.TreeSet;

/**
 * Golden config.json files under {@code src/test/resources/oci-golden/}, compared as JSON trees
 * (key order and white space do not matter), with the differing paths listed on a mismatch.
 *
 * <p>To regenerate after a deliberate change, run the golden tests with {@value #UPDATE_PROPERTY}:
 * {@code mvn -o -q -pl runtime-service -am test -Dtest='*GoldenTest' -Dsurefire.failIfNoSpecifiedTests=false
 * -Dberth.oci.golden.update=true}; the files are rewritten (the tests then fail, so that a run
 * never passes by updating), and a reviewer reads {@code git diff src/test/resources/oci-golden}
 * line by line: every changed line is a change in what runc is told.
 */
public final class OciGoldenFiles {

  public static final String UPDATE_PROPERTY = "berth.oci.golden.update";

  private static final ObjectMapper JSON = new ObjectMapper();
  /** The module's own source tree: surefire runs with the module as its working directory. */
  private static final Path DIR = Path.of("src", "test", "resources", "oci-golden");

  private OciGoldenFiles() {}

  /** Fails unless {@code actualJson} is, as JSON, the golden file {@code name}.json. */
  public static void assertMatches(String name, String actualJson) throws IOException {
    Path file = DIR.resolve(name + ".json");
    if (Boolean.getBoolean(UPDATE_PROPERTY)) {
      Files.createDirectories(file.getParent());
      Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(JSON.readTree(actualJson)) + "\n");
      fail("rewrote " + file + " (" + UPDATE_PROPERTY + "): review the diff, then run again without it");
    }
    assertTrue(Files.isRegularFile(file), "no golden file " + file.toAbsolutePath() + "; write it with -D"
        + UPDATE_PROPERTY + "=true and review it");
    List<String> differences = diff("", JSON.readTree(file.toFile()), JSON.readTree(actualJson));
    if (!differences.isEmpty()) {
      fail(name + ".json differs from the translation at " + differences.size() + " place(s):\n  "
          + String.join("\n  ", differences));
    }
  }

  /** Each JSON pointer where the two trees differ, with both values. */
  static List<String> diff(String at, JsonNode expected, JsonNode actual) {
    List<String> out = new ArrayList<>();
    if (expected.isObject() && actual.isObject()) {
      TreeSet<String> keys = new TreeSet<>();
      expected.fieldNames().forEachRemaining(keys::add);
      actual.fieldNames().forEachRemaining(keys::add);
      for (String key : keys) {
        String path = at + "/" + key;
        if (!actual.has(key)) {
          out.add(path + ": missing, expected " + expected.get(key));
        } else if (!expected.has(key)) {
          out.add(path + ": unexpected " + actual.get(key));
        } else {
          out.addAll(diff(path, expected.get(key), actual.get(key)));
        }
      }
    } else if (expected.isArray() && actual.isArray()) {
      Iterator<JsonNode> e = expected.elements();
      Iterator<JsonNode> a = actual.elements();
      int index = 0;
      while (e.hasNext() && a.hasNext()) {
        out.addAll(diff(at + "/" + index++, e.next(), a.next()));
      }
      e.forEachRemaining(missing -> out.add(at + ": missing element " + missing));
      a.forEachRemaining(extra -> out.add(at + ": unexpected element " + extra));
    } else if (!expected.equals(actual)) {
      out.add((at.isEmpty() ? "/" : at) + ": expected " + expected + ", got " + actual);
    }
    return out;
  }
}
