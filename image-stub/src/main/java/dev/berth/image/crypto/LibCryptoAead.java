package dev.berth.image.crypto;

import dev.berth.linux.Syscalls;
import java.lang.foreign.AddressLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.security.ProviderException;
import java.util.Optional;

/**
 * AES-GCM sealing and opening by OpenSSL's libcrypto 3 (its EVP cipher calls, which pick AES-NI
 * and a carry-less-multiply GHASH themselves), bound once through the FFM API.
 *
 * <p>Each call makes and frees its own cipher context: a TLS record is at most 16 KiB, which
 * libcrypto seals in microseconds, against well under one for a context's setup and key schedule;
 * and a context never outlives the call, so nothing native needs a cleaner thread or can leak.
 * The key, nonce, data and tag stay where the caller has them (Java arrays, or a direct buffer's
 * memory), passed to critical downcalls without copies.
 */
final class LibCryptoAead {

  private static final int CTRL_AEAD_SET_IVLEN = 0x9;
  private static final int CTRL_AEAD_GET_TAG = 0x10;
  private static final int CTRL_AEAD_SET_TAG = 0x11;

  private final MethodHandle contextNew;
  private final MethodHandle contextFree;
  private final MethodHandle init;
  private final MethodHandle control;
  private final MethodHandle update;
  private final MethodHandle finish;
  /** libcrypto's EVP_aes_128_gcm, EVP_aes_192_gcm and EVP_aes_256_gcm, by key length / 8 - 2. */
  private final MemorySegment[] ciphers;

  private LibCryptoAead(SymbolLookup lib) throws Throwable {
    AddressLayout ptr = ValueLayout.ADDRESS;
    ValueLayout.OfInt i32 = ValueLayout.JAVA_INT;
    // Critical, with heap access: every array is read or written where it is in the Java heap;
    // one call handles one TLS record at most (microseconds) and never blocks.
    Linker.Option heap = Linker.Option.critical(true);
    contextNew = bind(lib, "EVP_CIPHER_CTX_new", FunctionDescriptor.of(ptr));
    contextFree = bind(lib, "EVP_CIPHER_CTX_free", FunctionDescriptor.ofVoid(ptr));
    init = bind(lib, "EVP_CipherInit_ex", FunctionDescriptor.of(i32, ptr, ptr, ptr, ptr, ptr, i32), heap);
    control = bind(lib, "EVP_CIPHER_CTX_ctrl", FunctionDescriptor.of(i32, ptr, i32, i32, ptr), heap);
    update = bind(lib, "EVP_CipherUpdate", FunctionDescriptor.of(i32, ptr, ptr, ptr, ptr, i32), heap);
    finish = bind(lib, "EVP_CipherFinal_ex", FunctionDescriptor.of(i32, ptr, ptr, ptr), heap);
    ciphers = new MemorySegment[3];
    String[] names = {"EVP_aes_128_gcm", "EVP_aes_192_gcm", "EVP_aes_256_gcm"};
    for (int i = 0; i < names.length; i++) {
      ciphers[i] = (MemorySegment) bind(lib, names[i], FunctionDescriptor.of(ptr)).invokeExact();
    }
    // OpenSSL 3 loads its configuration and default provider at a process's first cipher set-up:
    // file reads, done here by a plain downcall rather than inside a critical one, where the JVM
    // could not reach a safepoint until they end.
    MethodHandle plainInit = bind(lib, "EVP_CipherInit_ex", FunctionDescriptor.of(i32, ptr, ptr, ptr, ptr, ptr, i32));
    MemorySegment context = (MemorySegment) contextNew.invokeExact();
    try {
      check((int) plainInit.invokeExact(context, ciphers[2], MemorySegment.NULL, MemorySegment.NULL,
          MemorySegment.NULL, 1), "EVP_CipherInit_ex");
    } finally {
      contextFree.invokeExact(context);
    }
  }

  /** libcrypto 3's AES-GCM, or empty where the node has no libcrypto 3 (or not these calls). */
  static Optional<LibCryptoAead> load() {
    try {
      return Optional.of(new LibCryptoAead(SymbolLookup.libraryLookup("libcrypto.so.3", Arena.global())));
    } catch (Throwable e) {
      return Optional.empty();
    }
  }

  /**
   * Encrypts {@code in} into {@code out}, of the same size, and writes the tag into {@code tag}
   * (its whole size is the tag's). {@code out} may be {@code in} itself, not a part of it elsewhere.
   */
  void seal(byte[] key, byte[] nonce, MemorySegment aad, MemorySegment in, MemorySegment out, MemorySegment tag) {
    inNewContext(context -> {
      start(context, key, nonce, true);
      feed(context, aad, MemorySegment.NULL);
      feed(context, in, out);
      check(callFinal(context, out), "EVP_CipherFinal_ex");
      check((int) control.invokeExact(context, CTRL_AEAD_GET_TAG, (int) tag.byteSize(), tag), "EVP_CTRL_AEAD_GET_TAG");
      return true;
    });
  }

  /**
   * Decrypts {@code in} into {@code out}, of the same size, checking {@code tag} (taken before a
   * byte is written, so it may follow {@code in} in the same buffer); false, with {@code out}
   * zeroed, when the bytes, the additional data or the tag are not what was sealed.
   * {@code out} may be {@code in} itself, not a part of it elsewhere.
   */
  boolean open(byte[] key, byte[] nonce, MemorySegment aad, MemorySegment in, MemorySegment tag, MemorySegment out) {
    return inNewContext(context -> {
      start(context, key, nonce, false);
      check((int) control.invokeExact(context, CTRL_AEAD_SET_TAG, (int) tag.byteSize(), tag), "EVP_CTRL_AEAD_SET_TAG");
      feed(context, aad, MemorySegment.NULL);
      feed(context, in, out);
      boolean authentic = callFinal(context, out) == 1;
      if (!authentic) {
        out.fill((byte) 0);
      }
      return authentic;
    });
  }

  @FunctionalInterface
  private interface ContextCall {
    boolean run(MemorySegment context) throws Throwable;
  }

  /** Runs {@code call} with a cipher context of its own, freed after it whatever happens. */
  private boolean inNewContext(ContextCall call) {
    try {
      MemorySegment context = (MemorySegment) contextNew.invokeExact();
      if (context.equals(MemorySegment.NULL)) {
        throw new ProviderException("libcrypto could not allocate a cipher context");
      }
      try {
        return call.run(context);
      } finally {
        contextFree.invokeExact(context);
      }
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new ProviderException(t);
    }
  }

  /** EVP_CipherFinal_ex, writing (GCM writes nothing there) after {@code out}. */
  private int callFinal(MemorySegment context, MemorySegment out) throws Throwable {
    int[] written = new int[1];
    return (int) finish.invokeExact(context, out.asSlice(out.byteSize()), MemorySegment.ofArray(written));
  }

  private void start(MemorySegment context, byte[] key, byte[] nonce, boolean encrypt) throws Throwable {
    int enc = encrypt ? 1 : 0;
    MemorySegment cipher = ciphers[key.length / 8 - 2];
    check((int) init.invokeExact(context, cipher, MemorySegment.NULL, MemorySegment.NULL, MemorySegment.NULL, enc),
        "EVP_CipherInit_ex");
    check((int) control.invokeExact(context, CTRL_AEAD_SET_IVLEN, nonce.length, MemorySegment.NULL),
        "EVP_CTRL_AEAD_SET_IVLEN");
    check((int) init.invokeExact(context, MemorySegment.NULL, MemorySegment.NULL, MemorySegment.ofArray(key),
        MemorySegment.ofArray(nonce), enc), "EVP_CipherInit_ex");
  }

  /** Feeds {@code in} through the cipher: into {@code out}, or as additional data when it is NULL. */
  private void feed(MemorySegment context, MemorySegment in, MemorySegment out) throws Throwable {
    int length = Math.toIntExact(in.byteSize());
    if (length == 0) {
      return;
    }
    int[] written = new int[1];
    check((int) update.invokeExact(context, out, MemorySegment.ofArray(written), in, length), "EVP_CipherUpdate");
    if (!out.equals(MemorySegment.NULL) && written[0] != length) {
      throw new ProviderException("libcrypto's AES-GCM took " + length + " bytes and gave " + written[0]);
    }
  }

  private static void check(int result, String call) {
    if (result != 1) {
      throw new ProviderException("libcrypto's " + call + " failed");
    }
  }

  private static MethodHandle bind(SymbolLookup lib, String name, FunctionDescriptor descriptor,
      Linker.Option... options) {
    return Syscalls.bindIn(lib, name, descriptor, options)
        .orElseThrow(() -> new IllegalStateException("libcrypto has no " + name));
  }
}
