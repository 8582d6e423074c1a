package dev.berth.runtime.oci;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.berth.runtime.store.PlainFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * The one place an OCI value becomes JSON for the runtime, and a stored config.json becomes a
 * value again (a restart's exec, a checkpoint's restore). Reading ignores fields Berth does not
 * model, so a config written by another version still reads.
 */
public final class OciSpecJson {

  /** The bundle file runc and crun read the spec from. */
  public static final String CONFIG = "config.json";

  private static final ObjectMapper JSON = JsonMapper.builder()
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .build();

  private OciSpecJson() {}

  /** Builds the spec's serializers now, so that a fresh daemon's first container does not. */
  public static void prepareFirstUse() {
    JSON.canSerialize(OciSpec.class);
  }

  /** Writes {@code spec} as the bundle's config.json, atomically. */
  public static void write(Path bundle, OciSpec spec) throws IOException {
    PlainFiles.write(bundle.resolve(CONFIG), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(spec));
  }

  public static OciSpec read(Path bundle) throws IOException {
    return read(bundle.resolve(CONFIG).toFile());
  }

  public static OciSpec read(java.io.File config) throws IOException {
    return JSON.readValue(config, OciSpec.class);
  }

  /** A spec from JSON text, as {@link #read} takes it from a file. */
  public static OciSpec parse(String json) throws IOException {
    return JSON.readValue(json, OciSpec.class);
  }

  /** The spec as JSON text: what {@link #write} puts in the file. */
  public static String text(OciSpec spec) {
    return toText(spec);
  }

  /** An exec's process, as {@code runc exec --process} reads it. */
  public static String text(OciSpec.Process process) {
    return toText(process);
  }

  /** Resources alone, as {@code runc update -r} reads them. */
  public static String text(OciResources resources) {
    return toText(resources);
  }

  /** An operator's seccomp profile, read into the OCI shape. */
  public static Seccomp seccomp(String json) throws IOException {
    return JSON.readValue(json, Seccomp.class);
  }

  private static String toText(Object value) {
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(value);
    } catch (JsonProcessingException e) {
      // Records of strings, numbers and lists always serialise: a failure is a bug, not input.
      throw new UncheckedIOException(e);
    }
  }
}
