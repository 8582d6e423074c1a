package dev.berth.runtime.netns;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The struct ifreq that brings a pod's lo up, and the ioctl that reads lo's flags in the test's
 * own network namespace (no root needed; bringing lo up in a pod's namespace is tested through
 * the daemon and {@code NetworkNamespacesTest}).
 */
class LoopbackLinkTest {

  @Test
  void theRequestHoldsTheNulTerminatedNameAndZeroedFlags() {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment request = LoopbackLink.ifreq(arena, "lo");

      assertEquals(40, request.byteSize(), "sizeof(struct ifreq) on 64-bit Linux");
      assertArrayEquals(new byte[] {'l', 'o', 0, 0}, request.asSlice(0, 4).toArray(ValueLayout.JAVA_BYTE));
      assertEquals(0, LoopbackLink.flags(request));
      for (byte b : request.asSlice(2).toArray(ValueLayout.JAVA_BYTE)) {
        assertEquals(0, b, "everything after the name starts zeroed");
      }
    }
  }

  @Test
  void flagsAreTheShortAfterTheSixteenByteNameReadUnsigned() {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment request = LoopbackLink.ifreq(arena, "lo");

      LoopbackLink.setFlags(request, 0x8000 | LoopbackLink.IFF_LOOPBACK | LoopbackLink.IFF_UP);

      assertEquals((short) 0x8009, request.get(ValueLayout.JAVA_SHORT, 16));
      assertEquals(0x8009, LoopbackLink.flags(request));
      assertEquals(0, request.get(ValueLayout.JAVA_BYTE, 15), "the name's bytes are untouched");
    }
  }

  @Test
  void aNameThatDoesNotFitIfnamsizIsRefused() {
    try (Arena arena = Arena.ofConfined()) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> LoopbackLink.ifreq(arena, "sixteen-chars-xx"));
      assertEquals("an interface name has 1 to 15 bytes: sixteen-chars-xx", e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> LoopbackLink.ifreq(arena, ""));
    }
  }

  @Test
  void readsTheFlagsTheKernelShowsForLoHere() throws Exception {
    int shown = Integer.decode(Files.readString(Path.of("/sys/class/net/lo/flags")).strip());

    int read = LoopbackLink.flags();

    // SIOCGIFFLAGS adds IFF_RUNNING from the link's state; sysfs shows the flags as set.
    int running = 0x40;
    assertEquals(shown & 0xffff & ~running, read & ~running);
    assertEquals(LoopbackLink.IFF_LOOPBACK, read & LoopbackLink.IFF_LOOPBACK);
  }
}
