package dev.berth.runtime.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A scrape parsed by the Prometheus project's own Python client (Debian's
 * python3-prometheus-client, text_string_to_metric_families): a well-kept parser of the text
 * format, not a regex. A scrape it rejects fails the test with the parser's error.
 */
record ScrapedSamples(List<Sample> samples) {

  record Sample(String family, String type, String name, Map<String, String> labels, double value) {}

  private static final String PARSER = """
      import json, sys
      from prometheus_client.parser import text_string_to_metric_families
      out = []
      for family in text_string_to_metric_families(sys.stdin.read()):
          for s in family.samples:
              out.append([family.name, family.type, s.name, s.labels, s.value])
      json.dump(out, sys.stdout)
      """;

  static ScrapedSamples parse(String text) throws IOException, InterruptedException {
    // Debian's interpreter, where python3-prometheus-client installs (not a pyenv shim on PATH).
    Process python = new ProcessBuilder("/usr/bin/python3", "-c", PARSER).redirectErrorStream(false).start();
    try (OutputStream in = python.getOutputStream()) {
      in.write(text.getBytes(StandardCharsets.UTF_8));
    } catch (IOException exited) {
      // Reported below with the interpreter's own message.
    }
    byte[] stdout = python.getInputStream().readAllBytes();
    String stderr = new String(python.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!python.waitFor(60, TimeUnit.SECONDS) || python.exitValue() != 0) {
      throw new AssertionError("the scrape does not parse as Prometheus text format: " + stderr);
    }
    List<Sample> samples = new ArrayList<>();
    for (JsonNode node : new ObjectMapper().readTree(stdout)) {
      Map<String, String> labels = new HashMap<>();
      node.get(3).fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
      samples.add(new Sample(node.get(0).asText(), node.get(1).asText(), node.get(2).asText(), labels,
          node.get(4).asDouble()));
    }
    return new ScrapedSamples(samples);
  }

  List<Sample> named(String name, Predicate<Map<String, String>> labels) {
    return samples.stream().filter(s -> s.name().equals(name) && labels.test(s.labels())).toList();
  }

  /** The value of the one sample with this name and labels. */
  double value(String name, Predicate<Map<String, String>> labels) {
    List<Sample> found = named(name, labels);
    if (found.size() != 1) {
      throw new AssertionError("expected one " + name + " sample, found " + found);
    }
    return found.getFirst().value();
  }
}
