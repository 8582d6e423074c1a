package dev.berth.runtime.netns;

import dev.berth.linux.Syscalls;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;

/**
 * The {@code lo} of the network namespace the calling thread is in, brought up with one
 * SIOCSIFFLAGS ioctl on a datagram socket. This replaces an exec of the CNI {@code loopback}
 * plugin per pod (a Go process, ~6 ms of a core), as containerd 2 and CRI-O also set {@code lo}
 * up themselves: the kernel makes {@code lo} with every namespace and gives it 127.0.0.1/8 (and
 * ::1 where IPv6 is on) when it goes up, which is all the plugin did.
 *
 * <p>A namespace call acts on the calling thread, so callers run this on the throw-away thread
 * that is inside the pod's namespace (see {@link ThreadNamespaces}).
 */
final class LoopbackLink {

  static final String NAME = "lo";
  static final int IFF_UP = 0x1;
  static final int IFF_LOOPBACK = 0x8;

  private static final int IFNAMSIZ = 16;
  /** struct ifreq: the name, then a union whose first member, ifr_flags, is a short. */
  static final long IFREQ_SIZE = 40;
  static final long FLAGS_OFFSET = IFNAMSIZ;
  static final long SIOCGIFFLAGS = 0x8913;
  static final long SIOCSIFFLAGS = 0x8914;

  private static final int AF_INET = 2;
  private static final int SOCK_DGRAM = 2;
  private static final int SOCK_CLOEXEC = 0x80000;

  private static final MethodHandle SOCKET = Syscalls.bind("socket", FunctionDescriptor.of(ValueLayout.JAVA_INT,
      ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
  // ioctl is variadic: its third argument must be passed as one.
  private static final MethodHandle IOCTL = Syscalls.bind("ioctl", FunctionDescriptor.of(ValueLayout.JAVA_INT,
      ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS), Linker.Option.firstVariadicArg(2));

  private LoopbackLink() {}

  /** Sets IFF_UP on {@code lo} of the calling thread's network namespace; already up is success. */
  static void bringUp() throws IOException {
    onLo((state, socket, request) -> {
      int flags = flags(request);
      if ((flags & IFF_UP) == 0) {
        setFlags(request, flags | IFF_UP);
        ioctl(state, socket, SIOCSIFFLAGS, request, "bringing lo up");
      }
      return flags;
    });
  }

  /**
   * The flags of {@code lo} in the calling thread's network namespace; reading them binds the
   * same calls {@link #bringUp} makes, so a fresh daemon can pay for that before its first pod.
   */
  static int flags() throws IOException {
    return onLo((state, socket, request) -> flags(request));
  }

  /** What to do with {@code lo} once its flags are read into {@code request}. */
  private interface LoAction {
    int apply(MemorySegment state, int socket, MemorySegment request) throws IOException;
  }

  /** Opens a socket, reads lo's flags into an ifreq, runs {@code action} on them, closes the socket. */
  private static int onLo(LoAction action) throws IOException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(Syscalls.CALL_STATE);
      MemorySegment request = ifreq(arena, NAME);
      int socket = openSocket(state);
      try {
        ioctl(state, socket, SIOCGIFFLAGS, request, "reading the flags of lo");
        return action.apply(state, socket, request);
      } finally {
        Syscalls.close(socket);
      }
    }
  }


  /** A zeroed struct ifreq naming {@code interfaceName}. */
  static MemorySegment ifreq(Arena arena, String interfaceName) {
    byte[] name = interfaceName.getBytes(StandardCharsets.US_ASCII);
    if (name.length == 0 || name.length >= IFNAMSIZ) {
      throw new IllegalArgumentException("an interface name has 1 to " + (IFNAMSIZ - 1) + " bytes: " + interfaceName);
    }
    // allocate zeroes the segment: the name's NUL and the union are already in place.
    MemorySegment request = arena.allocate(IFREQ_SIZE, 8);
    request.copyFrom(MemorySegment.ofArray(name));
    return request;
  }

  /** ifr_flags as the kernel's unsigned short. */
  static int flags(MemorySegment ifreq) {
    return Short.toUnsignedInt(ifreq.get(ValueLayout.JAVA_SHORT, FLAGS_OFFSET));
  }

  static void setFlags(MemorySegment ifreq, int flags) {
    ifreq.set(ValueLayout.JAVA_SHORT, FLAGS_OFFSET, (short) flags);
  }

  private static int openSocket(MemorySegment state) throws IOException {
    int socket;
    try {
      socket = (int) SOCKET.invokeExact(state, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    } catch (Throwable t) {
      throw new IOException("socket for the ioctls on lo: " + t, t);
    }
    if (socket < 0) {
      throw failure("socket for the ioctls on lo", state);
    }
    return socket;
  }

  private static void ioctl(MemorySegment state, int socket, long request, MemorySegment ifreq, String what)
      throws IOException {
    int rc;
    try {
      rc = (int) IOCTL.invokeExact(state, socket, request, ifreq);
    } catch (Throwable t) {
      throw new IOException(what + ": " + t, t);
    }
    if (rc != 0) {
      throw failure(what, state);
    }
  }

  private static IOException failure(String what, MemorySegment state) {
    int errno = Syscalls.errno(state);
    return new IOException(what + " failed: " + Syscalls.strerror(errno) + " (errno " + errno + ")");
  }
}
