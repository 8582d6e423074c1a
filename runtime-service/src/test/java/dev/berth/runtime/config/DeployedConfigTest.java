package dev.berth.runtime.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** deploy/config.toml documents every key with its default; keep it loadable and truthful. */
class DeployedConfigTest {

  private static final Path DEPLOYED = Path.of("..", "deploy", "config.toml");

  @Test
  void deployedConfigLoadsAndStatesTheDefaults() {
    assertEquals(BerthConfig.defaults(), ConfigLoader.load(DEPLOYED));
  }

  @Test
  void deployedConfigMentionsEveryKey() throws IOException {
    String text = Files.readString(DEPLOYED);
    for (Map.Entry<String, Object> entry : ConfigView.asMap(BerthConfig.defaults()).entrySet()) {
      if (entry.getValue() instanceof Map<?, ?> table) {
        assertTrue(text.contains("[" + entry.getKey() + "]"), "deploy/config.toml lacks [" + entry.getKey() + "]");
        for (Map.Entry<?, ?> field : table.entrySet()) {
          String explained = field.getValue() instanceof Map<?, ?>
              ? "[" + entry.getKey() + "." + field.getKey() + "]" : "\n" + field.getKey() + " =";
          assertTrue(text.contains(explained), "deploy/config.toml does not explain '" + entry.getKey() + "." + field.getKey() + "'");
        }
      } else {
        assertTrue(text.contains("\n" + entry.getKey() + " ="), "deploy/config.toml does not explain '" + entry.getKey() + "'");
      }
    }
  }
}
