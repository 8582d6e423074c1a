package dev.berth.image.store;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import dev.berth.linux.Syscalls;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.ref.Cleaner;
import java.security.MessageDigest;
import java.util.Optional;

/**
 * SHA-256 of a stream, for the digests a pull checks while it streams (every byte of a layer is
 * hashed twice: compressed and uncompressed). The JDK's SHA-256 is fast only once C2 has compiled
 * it with its SHA-NI intrinsic; the daemon runs with C1 alone for a small, quick-starting JVM,
 * where hashing 50 MiB took 345 ms of CPU against 30 ms with C2 here. So where the node has
 * OpenSSL's libcrypto 3 (Debian's libssl3), its EVP SHA-256, which picks SHA-NI
 * itself, is called through the FFM API; elsewhere the JDK's is used.
 */
public final class Sha256 {

  private static final Cleaner CLEANER = Cleaner.create();
  private static final Optional<LibCrypto> LIBCRYPTO = LibCrypto.load();

  private final MessageDigest jdk;
  private final MemorySegment context;
  private final Cleaner.Cleanable freeContext;
  private boolean done;

  private Sha256() {
    if (LIBCRYPTO.isPresent()) {
      LibCrypto lib = LIBCRYPTO.get();
      MemorySegment ctx = lib.newContext();
      this.jdk = null;
      this.context = ctx;
      // An abandoned digest (a failed pull) frees its context when it is collected.
      this.freeContext = CLEANER.register(this, () -> lib.free(ctx));
    } else {
      this.jdk = Digest.sha256();
      this.context = null;
      this.freeContext = null;
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
    try {
      return LIBCRYPTO.get().digest(context);
    } finally {
      freeContext.clean();
    }
  }

  /** The EVP calls of libcrypto 3, bound once. */
  private record LibCrypto(MemorySegment sha256, MethodHandle newCtx, MethodHandle freeCtx, MethodHandle init,
      MethodHandle update, MethodHandle finish) {

    static Optional<LibCrypto> load() {
      try {
        SymbolLookup lib = SymbolLookup.libraryLookup("libcrypto.so.3", Arena.global());
        ValueLayout.OfInt i32 = ValueLayout.JAVA_INT;
        java.lang.foreign.AddressLayout ptr = ValueLayout.ADDRESS;
        MethodHandle evpSha256 = bind(lib, "EVP_sha256", FunctionDescriptor.of(ptr));
        LibCrypto bound = new LibCrypto(
            (MemorySegment) evpSha256.invokeExact(),
            bind(lib, "EVP_MD_CTX_new", FunctionDescriptor.of(ptr)),
            bind(lib, "EVP_MD_CTX_free", FunctionDescriptor.ofVoid(ptr)),
            bind(lib, "EVP_DigestInit_ex", FunctionDescriptor.of(i32, ptr, ptr, ptr)),
            // Critical, with heap access: the bytes are hashed where they are, without a copy; a
            // 64 KiB update takes microseconds and never blocks.
            bind(lib, "EVP_DigestUpdate", FunctionDescriptor.of(i32, ptr, ptr, ValueLayout.JAVA_LONG),
                Linker.Option.critical(true)),
            bind(lib, "EVP_DigestFinal_ex", FunctionDescriptor.of(i32, ptr, ptr, ptr)));
        bound.free(bound.newContext()); // works end to end, or the JDK's is used
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

    MemorySegment newContext() {
      try {
        MemorySegment ctx = (MemorySegment) newCtx.invokeExact();
        if (ctx.equals(MemorySegment.NULL) || (int) init.invokeExact(ctx, sha256, MemorySegment.NULL) != 1) {
          throw new IllegalStateException("libcrypto could not start a SHA-256 digest");
        }
        return ctx;
      } catch (RuntimeException | Error e) {
        throw e;
      } catch (Throwable t) {
        throw new IllegalStateException(t);
      }
    }

    void update(MemorySegment ctx, byte[] bytes, int offset, int length) {
      try {
        int ok = (int) update.invokeExact(ctx, MemorySegment.ofArray(bytes).asSlice(offset, length), (long) length);
        if (ok != 1) {
          throw new IllegalStateException("libcrypto SHA-256 update failed");
        }
      } catch (RuntimeException | Error e) {
        throw e;
      } catch (Throwable t) {
        throw new IllegalStateException(t);
      }
    }

    byte[] digest(MemorySegment ctx) {
      try (Arena arena = Arena.ofConfined()) {
        MemorySegment out = arena.allocate(32);
        if ((int) finish.invokeExact(ctx, out, MemorySegment.NULL) != 1) {
          throw new IllegalStateException("libcrypto SHA-256 final failed");
        }
        return out.toArray(ValueLayout.JAVA_BYTE);
      } catch (RuntimeException | Error e) {
        throw e;
      } catch (Throwable t) {
        throw new IllegalStateException(t);
      }
    }

    void free(MemorySegment ctx) {
      try {
        freeCtx.invokeExact(ctx);
      } catch (RuntimeException | Error e) {
        throw e;
      } catch (Throwable t) {
        throw new IllegalStateException(t);
      }
    }
  }
}
