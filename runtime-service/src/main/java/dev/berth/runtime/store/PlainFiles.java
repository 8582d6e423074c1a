package dev.berth.runtime.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Plain (not atomic) writes of files that are made once and thrown away whole on failure, such
 * as bundle specs and pod files, whose errors name the file: a failing write(2) otherwise says
 * only "No space left on device", and the user cannot tell which disk is full.
 */
public final class PlainFiles {

  private PlainFiles() {}

  public static void write(Path file, byte[] content) throws IOException {
    try {
      Files.write(file, content);
    } catch (FileSystemException e) {
      throw e;
    } catch (IOException e) {
      throw new FileSystemException(file.toString(), null, e.getMessage());
    }
  }

  public static void writeString(Path file, String content) throws IOException {
    write(file, content.getBytes(StandardCharsets.UTF_8));
  }
}
