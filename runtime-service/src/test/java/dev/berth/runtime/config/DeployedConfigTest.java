package dev.berth.runtime.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
    for (String key : ConfigView.asMap(BerthConfig.defaults()).keySet()) {
      assertTrue(text.contains(key), "deploy/config.toml does not explain '" + key + "'");
    }
    for (String key : new String[] {"conf_dir", "bin_dirs"}) {
      assertTrue(text.contains(key + " ="), "deploy/config.toml does not explain 'cni." + key + "'");
    }
  }
}
