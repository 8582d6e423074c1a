package dev.berth.bench.workload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.bench.report.Recorder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ColdStartResultTest {

  @TempDir
  Path dir;

  @Test
  void aResultWrittenByColdStartIsReadBackByRun() throws IOException {
    Path file = dir.resolve("cold.json");
    new ColdStart.Result(1400.5, 410, 470.25).write(file);
    assertEquals(new ColdStart.Result(1400.5, 410, 470.25), ColdStart.Result.read(file));
  }

  @Test
  void eachStepAndTheirTotalAreRecordedUnderColdStart() {
    Recorder recorder = new Recorder();
    new ColdStart.Result(1000, 300, 200).record(recorder, "berth");
    assertEquals(List.of(1000.0), recorder.find("berth", ColdStart.NAME, ColdStart.FIRST_ANSWER).values());
    assertEquals(List.of(300.0), recorder.find("berth", ColdStart.NAME, ColdStart.FIRST_POD).values());
    assertEquals(List.of(200.0), recorder.find("berth", ColdStart.NAME, ColdStart.FIRST_RELIST).values());
    assertEquals(List.of(1500.0), recorder.find("berth", ColdStart.NAME, ColdStart.TOTAL).values());
  }

  @Test
  void anUnreadableResultNamesItsFile() throws IOException {
    Path file = Files.writeString(dir.resolve("cold.json"), "{\"firstAnswerMs\": ");
    IOException e = assertThrows(IOException.class, () -> ColdStart.Result.read(file));
    assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
  }
}
