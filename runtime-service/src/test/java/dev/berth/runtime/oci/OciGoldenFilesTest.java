package dev.berth.runtime.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

class OciGoldenFilesTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void theDiffNamesEachPathThatDiffers() throws Exception {
    List<String> differences = OciGoldenFiles.diff("",
        JSON.readTree("{\"a\": 1, \"b\": [\"x\", \"y\"], \"c\": {\"d\": true}}"),
        JSON.readTree("{\"a\": 2, \"b\": [\"x\"], \"e\": null}"));
    assertEquals(List.of("/a: expected 1, got 2", "/b: missing element \"y\"", "/c: missing, expected {\"d\":true}",
        "/e: unexpected null"), differences);
  }

  @Test
  void keyOrderDoesNotMatter() throws Exception {
    assertEquals(List.of(), OciGoldenFiles.diff("", JSON.readTree("{\"a\": 1, \"b\": 2}"),
        JSON.readTree("{\"b\": 2, \"a\": 1}")));
  }
}
