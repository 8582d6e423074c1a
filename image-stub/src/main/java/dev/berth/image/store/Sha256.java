package dev.berth.image.store;

import dev.berth.linux.Syscalls;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Optional;

/**
 * SHA-256 of a stream, for the digests a pull checks while it streams (every byte of a layer is
 * hashed twice: compressed and uncompressed). The JDK's SHA-256 is fast only once C2 has compiled
 * it with its SHA-NI intrinsic; the daemon runs with C1 alone for a small, quick-starting JVM,
 * where hashing 50 MiB took 345 ms of CPU against 30 ms with C2 here. So where the node has
 * OpenSSL's libcrypto 3 (Debian's libssl3), its SHA-256, which picks SHA-NI itself, is called
 * through the FFM API; elsewhere the JDK's is used.
 *
 * <p>libcrypto's low-level {@code SHA256_Init/Update/Final} rather than its EVP calls: the same
 * code hashes the bytes, but the EVP calls first initialise OpenSSL 3 (its configuration file and
 * default provider, with every algorithm's table), which kept 3.4 MB of the library resident in
 * the daemon from its first pull on, against 1.6 MB with the low-level calls (libcrypto's Rss in
 * the daemon's smaps, three alternating pairs of {@code bin/bench-compare --only-berth --runs 2
 * --rounds 2 -- --workloads kubelet-poll,memory,image-pull}: daemon RSS at 100 pods after the
 * pulls 137.6 -> 135.9 MB median; hashing 50 MiB took 34-52 ms of CPU either way; bench/README.md,
 * 2026-12-07 16:10). The low-level calls are deprecated in OpenSSL 3, not removed; where a
 * libcrypto lacks them, the JDK's digest is used.
 * Their context is a plain struct, kept in a Java array: nothing native to allocate or free.
 */
public final class Sha256 {

  /**
   * Room for OpenSSL's {@code SHA256_CTX} (112 bytes on every 64-bit ABI: 28 32-bit words), with
   * margin, so that a differently built libcrypto could never write past the array.
   */
  private static final int CONTEXT_LONGS = 32;

  private static final Optional<LibCrypto> LIBCRYPTO = LibCrypto.load();

  private final MessageDigest jdk;
  private final long[] context;
  private boolean done;

  private Sha256() {
    if (LIBCRYPTO.isPresent()) {
      this.jdk = null;
      this.context = new long[CONTEXT_LONGS];
      LIBCRYPTO.get().init(context);
    } else {
      this.jdk = Digest.sha256();
      this.context = null;
    }
  }

  public static Sha256 start() {
    return new Sha256();
  }

  /** True when libcrypto computes the digests in this process. */
  public static boolean isNative() {
    return LIBCRYPTO.isPresent();
  }

  public void update(byte[] bytes, int offset, int length) {
    java.util.Objects.checkFromIndexSize(offset, length, bytes.length);
    if (done) {
      throw new IllegalStateException("SHA-256 updated after its digest was taken");
    }
    if (jdk != null) {
      jdk.update(bytes, offset, length);
    } else {
      LIBCRYPTO.get().update(context, bytes, offset, length);
    }
  }

  /** The digest of everything given so far; call once, at the end. */
  public byte[] digest() {
    if (done) {
      throw new IllegalStateException("SHA-256 digest taken twice");
    }
    done = true;
    if (jdk != null) {
      return jdk.digest();
    }
    return LIBCRYPTO.get().digest(context);
  }

  /** libcrypto 3's SHA256_Init, SHA256_Update and SHA256_Final, bound once. */
  private record LibCrypto(MethodHandle init, MethodHandle update, MethodHandle finish) {

    /** SHA-256 of no bytes: what a bound libcrypto must answer before it is used. */
    private static final byte[] EMPTY_DIGEST = java.util.HexFormat.of()
        .parseHex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

    static Optional<LibCrypto> load() {
      try {
        SymbolLookup lib = SymbolLookup.libraryLookup("libcrypto.so.3", Arena.global());
        ValueLayout.OfInt i32 = ValueLayout.JAVA_INT;
        java.lang.foreign.AddressLayout ptr = ValueLayout.ADDRESS;
        // Critical, with heap access: the context, the bytes and the digest are where they are in
        // the Java heap, without a copy; a 64 KiB update takes microseconds and never blocks.
        Linker.Option heap = Linker.Option.critical(true);
        LibCrypto bound = new LibCrypto(
            bind(lib, "SHA256_Init", FunctionDescriptor.of(i32, ptr), heap),
            bind(lib, "SHA256_Update", FunctionDescriptor.of(i32, ptr, ptr, ValueLayout.JAVA_LONG), heap),
            bind(lib, "SHA256_Final", FunctionDescriptor.of(i32, ptr, ptr), heap));
        long[] context = new long[CONTEXT_LONGS];
        bound.init(context);
        if (!Arrays.equals(EMPTY_DIGEST, bound.digest(context))) {
          return Optional.empty(); // works end to end, or the JDK's is used
        }
        return Optional.of(bound);
      } catch (Throwable e) {
        // No libcrypto 3 here (or not these symbols): the JDK's digest is correct, only slower.
        return Optional.empty();
      }
    }

    private static MethodHandle bind(SymbolLookup lib, String name, FunctionDescriptor descriptor,
        Linker.Option... options) {
      return Syscalls.bindIn(lib, name, descriptor, options).orElseThrow();
    }

    void init(long[] context) {
      try {
        if ((int) init.invokeExact(MemorySegment.ofArray(context)) != 1) {
          throw new IllegalStateException("libcrypto could not start a SHA-256 digest");
        }
      } catch (RuntimeException | Error e) {
        throw e;
      } catch (Throwable t) {
        throw new IllegalStateException(t);
      }
    }

    void update(long[] context, byte[] bytes, int offset, int length) {
      try {
        int ok = (int) update.invokeExact(MemorySegment.ofArray(context),
            MemorySegment.ofArray(bytes).asSlice(offset, length), (long) length);
        if (ok != 1) {
          throw new IllegalStateException("libcrypto SHA-256 update failed");
        }
      } catch (RuntimeException | Error e) {
        throw e;
      } catch (Throwable t) {
        throw new IllegalStateException(t);
      }
    }

    byte[] digest(long[] context) {
      try {
        byte[] out = new byte[32];
        if ((int) finish.invokeExact(MemorySegment.ofArray(out), MemorySegment.ofArray(context)) != 1) {
          throw new IllegalStateException("libcrypto SHA-256 final failed");
        }
        return out;
      } catch (RuntimeException | Error e) {
        throw e;
      } catch (Throwable t) {
        throw new IllegalStateException(t);
      }
    }
  }
}
