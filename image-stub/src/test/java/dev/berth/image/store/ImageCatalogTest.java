package dev.berth.image.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageCatalogTest {

  @TempDir
  Path dir;

  @Test
  void anUnreadableCatalogIsSetAsideAndTheStoreStartsEmpty() throws Exception {
    for (String garbage : List.of("[{\"id\": \"sha256:ab", "", "null", "{\"not\": \"a list\"}", "[null]")) {
      Path file = dir.resolve("images.json");
      Files.writeString(file, garbage);

      ImageCatalog catalog = ImageCatalog.load(file);

      assertEquals(List.of(), catalog.all(), garbage);
      assertFalse(Files.exists(file));
      try (Stream<Path> aside = Files.list(dir)) {
        Path kept = aside.filter(p -> p.getFileName().toString().startsWith("images.json.corrupt-")).findFirst()
            .orElseThrow(() -> new AssertionError("no copy set aside for " + garbage));
        assertEquals(garbage, Files.readString(kept), "the operator gets the bytes as they were");
        Files.delete(kept);
      }
    }
  }
}
