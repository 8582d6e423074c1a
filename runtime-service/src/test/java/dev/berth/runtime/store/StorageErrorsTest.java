package dev.berth.runtime.store;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.runtime.model.CriException;
import java.io.IOException;
import java.nio.file.FileSystemException;
import org.junit.jupiter.api.Test;

class StorageErrorsTest {

  @Test
  void aFullDiskIsRecognisedWhereverItIsSaid() {
    assertTrue(StorageErrors.isNoSpace(new FileSystemException("/x/record.json", null, "No space left on device")));
    // runc and conmon only pass the kernel's text on, deep inside our own wrapping.
    assertTrue(StorageErrors.isNoSpace(new CriException.Internal("create container a: creating container b",
        new IOException("runc create failed: write /run/x/state.json: no space left on device"))));
    assertTrue(StorageErrors.isNoSpace(new IOException("Disk quota exceeded")));
  }

  @Test
  void otherFailuresAreNot() {
    assertFalse(StorageErrors.isNoSpace(new FileSystemException("/x", null, "Permission denied")));
    assertFalse(StorageErrors.isNoSpace(new CriException.Internal("runc create failed: exit status 1", null)));
    assertFalse(StorageErrors.isNoSpace(new IOException((String) null)));
  }
}
