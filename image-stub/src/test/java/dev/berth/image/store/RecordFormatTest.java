package dev.berth.image.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.image.snapshot.OverlaySnapshotter.SnapshotRecord;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The versioned record format against golden records of format 0 (resources {@code records/v0/},
 * written by a real daemon before records carried a version).
 */
class RecordFormatTest {

  static final ObjectMapper PLAIN = new ObjectMapper();

  @TempDir
  Path dir;

  static byte[] golden(String name) throws IOException {
    try (InputStream in = RecordFormatTest.class.getResourceAsStream("/records/v0/" + name)) {
      if (in == null) {
        throw new IllegalStateException("no golden record " + name);
      }
      return in.readAllBytes();
    }
  }

  @Test
  void aFormat0CatalogLoadsTheSameImagesAndIsRewrittenInTheCurrentFormat() throws Exception {
    // What format 0's reader made of the file: the reference.
    List<ImageRecord> before = PLAIN.readValue(golden("images.json"), new TypeReference<List<ImageRecord>>() {});
    Path file = Files.write(dir.resolve("images.json"), golden("images.json"));

    ImageCatalog catalog = ImageCatalog.load(file);

    assertEquals(before, catalog.all());
    assertEquals("docker.io/library/busybox:berth-test", catalog.all().getFirst().repoTags().getFirst());
    assertEquals(1, catalog.all().getFirst().layers().size());
    assertFiles("images.json");

    catalog.put(catalog.all().getFirst().withNames(List.of("docker.io/library/busybox:renamed"), List.of()));
    JsonNode written = PLAIN.readTree(file.toFile());
    assertEquals(RecordFormat.CURRENT, written.get(RecordFormat.VERSION_FIELD).asInt());
    assertTrue(written.get("images").isArray());
    assertEquals(List.of("docker.io/library/busybox:berth-test", "docker.io/library/busybox:renamed"),
        ImageCatalog.load(file).all().getFirst().repoTags(), "put adds the name to the ones it had");
  }

  @Test
  void aCatalogOfANewerFormatStopsTheLoadAndStaysAsItIs() throws Exception {
    String newer = "{\"formatVersion\": " + (RecordFormat.CURRENT + 1) + ", \"imagez\": {}}";
    Path file = Files.writeString(dir.resolve("images.json"), newer);

    RecordFormat.NewerFormatException e = assertThrows(RecordFormat.NewerFormatException.class,
        () -> ImageCatalog.load(file));

    assertEquals(RecordFormat.CURRENT + 1, e.version());
    assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("newer Berth"), e.getMessage());
    assertEquals(newer, Files.readString(file));
    assertFiles("images.json");
  }

  @Test
  void aFormat0SnapshotRecordReadsTheSameLayers() throws Exception {
    byte[] golden = golden("snapshot.json");
    SnapshotRecord before = PLAIN.readValue(golden, SnapshotRecord.class);

    SnapshotRecord read = RecordFormat.read(dir.resolve("snapshot.json"), golden, SnapshotRecord.class);

    assertEquals(before, read);
    assertEquals(1, read.layers().size());
    assertTrue(read.imageId().startsWith("sha256:"), read.imageId());
  }

  @Test
  void writtenRecordsAreTheFormat0FieldsLedByTheVersion() throws Exception {
    SnapshotRecord record = PLAIN.readValue(golden("snapshot.json"), SnapshotRecord.class);

    ObjectNode written = (ObjectNode) PLAIN.readTree(RecordFormat.write(record));

    assertEquals(RecordFormat.VERSION_FIELD, written.fieldNames().next());
    assertEquals(RecordFormat.CURRENT, written.remove(RecordFormat.VERSION_FIELD).asInt());
    // Fields added since format 0 are written with the value a format-0 record reads as.
    assertEquals(false, written.remove("imageVolume").asBoolean());
    assertEquals(PLAIN.readTree(golden("snapshot.json")), written);
    assertEquals(record, RecordFormat.read(dir.resolve("x.json"), RecordFormat.write(record), SnapshotRecord.class));
  }

  @Test
  void fieldsAnOlderRecordLacksTakeTheirEmptyValues() throws Exception {
    ObjectNode old = (ObjectNode) PLAIN.readTree(golden("images.json")).get(0);
    old.remove(List.of("repoTags", "repoDigests", "manifestMediaType", "size"));

    ImageRecord read = RecordFormat.read(dir.resolve("x.json"), old, ImageRecord.class);

    assertEquals(List.of(), read.repoTags());
    assertEquals(List.of(), read.repoDigests());
    assertEquals("", read.manifestMediaType());
    assertEquals(0, read.size());
    assertEquals(old.get("id").asText(), read.id());
  }

  @Test
  void aRecordThatIsNotAnObjectIsUnreadableNotNewer() {
    IOException e = assertThrows(IOException.class,
        () -> RecordFormat.read(dir.resolve("x.json"), "[1, 2]".getBytes(), SnapshotRecord.class));
    assertFalse(e instanceof RecordFormat.NewerFormatException);
  }

  private void assertFiles(String... names) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(List.of(names), files.map(p -> p.getFileName().toString()).sorted().toList());
    }
  }
}
