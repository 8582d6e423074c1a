package dev.berth.runtime.netns;

import dev.berth.linux.Syscalls;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * TCP connections to a port on a pod's loopback, made by the daemon itself: no helper process,
 * so a port forward adds nothing to any cgroup's process count and nothing outlives the daemon.
 *
 * <p>A socket belongs to the network namespace of the thread that creates it, for its whole
 * life. So the socket is created on a throw-away platform thread (see {@link ThreadNamespaces})
 * that enters the pod's namespace, creates it, goes back and connects it; the caller gets a
 * connected, non-blocking file descriptor to hand to its event loop.
 */
public final class PodLoopback {
  private static final int AF_INET = 2;
  private static final int SOCK_STREAM = 1;
  private static final int SOCK_CLOEXEC = 0x80000;
  private static final int SOL_SOCKET = 1;
  private static final int SO_SNDTIMEO = 21;
  private static final int F_GETFL = 3;
  private static final int F_SETFL = 4;
  private static final int O_NONBLOCK = 0x800;
  private static final int ECONNREFUSED = 111;
  private static final int EINPROGRESS = 115;
  private static final int EAGAIN = 11;

  private static final StructLayout CALL_STATE = Syscalls.CALL_STATE;
  private static final MethodHandle SOCKET = bind("socket", FunctionDescriptor.of(ValueLayout.JAVA_INT,
      ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
  private static final MethodHandle SETSOCKOPT = bind("setsockopt", FunctionDescriptor.of(ValueLayout.JAVA_INT,
      ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
  private static final MethodHandle CONNECT = bind("connect", FunctionDescriptor.of(ValueLayout.JAVA_INT,
      ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
  // fcntl is variadic: its third argument must be passed as one.
  private static final MethodHandle FCNTL = Syscalls.bind("fcntl",
      FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT),
      Linker.Option.firstVariadicArg(2));

  private static final String OWN_NAMESPACE = "/proc/thread-self/ns/net";

  private PodLoopback() {}

  private static MethodHandle bind(String name, FunctionDescriptor descriptor) {
    return Syscalls.bind(name, descriptor);
  }

  /**
   * A non-blocking TCP socket connected to {@code 127.0.0.1:port} in {@code netns} (the
   * daemon's own namespace when empty, for pods on the host network). Blocks up to
   * {@code timeout} while the connection is made; the caller owns the descriptor.
   */
  public static int connect(Optional<Path> netns, int port, Duration timeout) throws IOException {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("invalid port " + port);
    }
    int[] connected = {-1};
    ThreadNamespaces.onThrowAwayThread("port-forward-dial", "connecting to port " + port, calls -> {
      int socket = netns.isEmpty() ? newSocket() : newSocketIn(calls, netns.get());
      try (Arena arena = Arena.ofConfined()) {
        MemorySegment state = arena.allocate(CALL_STATE);
        // A blocking connect on this throw-away thread, bounded by the send timeout (Linux
        // applies SO_SNDTIMEO to connect): a port whose backlog is full must not hold it forever.
        MemorySegment timeval = arena.allocate(16);
        timeval.set(ValueLayout.JAVA_LONG, 0, Math.max(1, timeout.toSeconds()));
        timeval.set(ValueLayout.JAVA_LONG, 8, 0L);
        check((int) SETSOCKOPT.invokeExact(state, socket, SOL_SOCKET, SO_SNDTIMEO, timeval, 16), state,
            "setsockopt(SO_SNDTIMEO)");
        if ((int) CONNECT.invokeExact(state, socket, loopback(arena, port), 16) != 0) {
          int errno = Syscalls.errno(state);
          throw new IOException(switch (errno) {
            case ECONNREFUSED -> "connection refused";
            case EINPROGRESS, EAGAIN -> "no connection within " + timeout.toSeconds() + " s";
            default -> "connect failed: errno " + errno;
          });
        }
        int flags = (int) FCNTL.invokeExact(state, socket, F_GETFL, 0);
        check(flags, state, "fcntl(F_GETFL)");
        check((int) FCNTL.invokeExact(state, socket, F_SETFL, flags | O_NONBLOCK), state, "fcntl(F_SETFL)");
        connected[0] = socket;
      } finally {
        if (connected[0] < 0) {
          close(socket);
        }
      }
    });
    return connected[0];
  }

  /** Closes a descriptor that {@link #connect} returned and nobody else took. */
  public static void close(int fd) {
    Syscalls.close(fd);
  }

  private static int newSocketIn(ThreadNamespaces calls, Path netns) throws Throwable {
    int daemonNamespace = calls.open(OWN_NAMESPACE);
    try {
      int podNamespace = calls.open(netns.toString());
      try {
        calls.enter(podNamespace, ThreadNamespaces.CLONE_NEWNET, "the pod's network namespace " + netns);
      } finally {
        calls.close(podNamespace);
      }
      try {
        return newSocket();
      } finally {
        calls.setns(daemonNamespace, ThreadNamespaces.CLONE_NEWNET, "network");
      }
    } finally {
      calls.close(daemonNamespace);
    }
  }

  private static int newSocket() throws Throwable {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CALL_STATE);
      return check((int) SOCKET.invokeExact(state, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), state, "socket");
    }
  }

  /** {@code struct sockaddr_in} for 127.0.0.1:port. */
  private static MemorySegment loopback(Arena arena, int port) {
    MemorySegment address = arena.allocate(16);
    address.set(ValueLayout.JAVA_SHORT, 0, (short) AF_INET);
    address.set(ValueLayout.JAVA_SHORT.withOrder(ByteOrder.BIG_ENDIAN), 2, (short) port);
    address.set(ValueLayout.JAVA_INT.withOrder(ByteOrder.BIG_ENDIAN), 4, 0x7f000001);
    return address;
  }

  private static int check(int result, MemorySegment state, String what) throws IOException {
    if (result < 0) {
      throw new IOException(what + " failed: errno " + Syscalls.errno(state));
    }
    return result;
  }
}
