package dev.berth.image.crypto;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.Key;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.spec.AlgorithmParameterSpec;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.BadPaddingException;
import javax.crypto.CipherSpi;
import javax.crypto.IllegalBlockSizeException;
import javax.crypto.NoSuchPaddingException;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.GCMParameterSpec;

/**
 * {@code AES/GCM/NoPadding} computed by libcrypto ({@link LibCryptoAead}), with the JDK's
 * contract: input is held until {@code doFinal}, which seals it, or opens it and leaves zeros, not
 * plaintext, in the output when the tag does not match; AAD comes before data; an encryption is
 * never initialised twice in a row with the same key and nonce, and after its {@code doFinal} it
 * needs a new one.
 */
public final class LibCryptoAesGcm extends CipherSpi {

  private static final int BLOCK_SIZE = 16;
  private static final int DEFAULT_NONCE_LENGTH = 12;
  private static final int DEFAULT_TAG_LENGTH = 16;
  private static final int MIN_TAG_LENGTH = 12;

  private final LibCryptoAead aead;
  private boolean encrypt;
  private byte[] key;
  private byte[] nonce;
  private int tagLength;
  private final Buffer aad = new Buffer();
  private final Buffer data = new Buffer();
  /** Set by an encryption's doFinal: its nonce is spent. */
  private boolean sealed;
  private byte[] lastSealingKey;
  private byte[] lastSealingNonce;

  LibCryptoAesGcm(LibCryptoAead aead) {
    this.aead = aead;
  }

  @Override
  protected void engineSetMode(String mode) throws NoSuchAlgorithmException {
    if (!"GCM".equalsIgnoreCase(mode)) {
      throw new NoSuchAlgorithmException("only GCM, not " + mode);
    }
  }

  @Override
  protected void engineSetPadding(String padding) throws NoSuchPaddingException {
    if (!"NoPadding".equalsIgnoreCase(padding)) {
      throw new NoSuchPaddingException("only NoPadding, not " + padding);
    }
  }

  @Override
  protected int engineGetBlockSize() {
    return BLOCK_SIZE;
  }

  @Override
  protected int engineGetOutputSize(int inputLength) {
    int total = data.length + inputLength;
    return encrypt ? total + tagLength : Math.max(0, total - tagLength);
  }

  @Override
  protected byte[] engineGetIV() {
    return nonce == null ? null : nonce.clone();
  }

  @Override
  protected AlgorithmParameters engineGetParameters() {
    if (nonce == null) {
      return null;
    }
    try {
      AlgorithmParameters parameters = AlgorithmParameters.getInstance("GCM");
      parameters.init(new GCMParameterSpec(tagLength * 8, nonce));
      return parameters;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK has no GCM parameters", e);
    }
  }

  @Override
  protected int engineGetKeySize(Key key) throws InvalidKeyException {
    return keyBytes(key).length * 8;
  }

  @Override
  protected void engineInit(int mode, Key key, SecureRandom random) throws InvalidKeyException {
    if (mode != javax.crypto.Cipher.ENCRYPT_MODE) {
      throw new InvalidKeyException("AES-GCM needs its nonce and tag length (a GCMParameterSpec) to decrypt");
    }
    byte[] fresh = new byte[DEFAULT_NONCE_LENGTH];
    (random != null ? random : new SecureRandom()).nextBytes(fresh);
    try {
      init(mode, key, new GCMParameterSpec(DEFAULT_TAG_LENGTH * 8, fresh));
    } catch (InvalidAlgorithmParameterException e) {
      throw new InvalidKeyException(e);
    }
  }

  @Override
  protected void engineInit(int mode, Key key, AlgorithmParameterSpec parameters, SecureRandom random)
      throws InvalidKeyException, InvalidAlgorithmParameterException {
    if (parameters == null) {
      engineInit(mode, key, random);
      return;
    }
    if (!(parameters instanceof GCMParameterSpec gcm)) {
      throw new InvalidAlgorithmParameterException("AES-GCM takes a GCMParameterSpec, not " + parameters.getClass().getName());
    }
    init(mode, key, gcm);
  }

  @Override
  protected void engineInit(int mode, Key key, AlgorithmParameters parameters, SecureRandom random)
      throws InvalidKeyException, InvalidAlgorithmParameterException {
    try {
      engineInit(mode, key, parameters == null ? null : parameters.getParameterSpec(GCMParameterSpec.class), random);
    } catch (java.security.spec.InvalidParameterSpecException e) {
      throw new InvalidAlgorithmParameterException(e);
    }
  }

  private void init(int mode, Key key, GCMParameterSpec parameters)
      throws InvalidKeyException, InvalidAlgorithmParameterException {
    if (mode != javax.crypto.Cipher.ENCRYPT_MODE && mode != javax.crypto.Cipher.DECRYPT_MODE) {
      throw new InvalidAlgorithmParameterException("AES-GCM here only encrypts and decrypts (mode " + mode + ")");
    }
    byte[] newKey = keyBytes(key);
    int tagBits = parameters.getTLen();
    if (tagBits % 8 != 0 || tagBits / 8 < MIN_TAG_LENGTH || tagBits / 8 > DEFAULT_TAG_LENGTH) {
      throw new InvalidAlgorithmParameterException("AES-GCM tag length must be whole bytes from 96 to 128 bits, got " + tagBits);
    }
    byte[] newNonce = parameters.getIV();
    if (newNonce.length == 0) {
      throw new InvalidAlgorithmParameterException("AES-GCM needs a nonce of at least one byte");
    }
    boolean sealing = mode == javax.crypto.Cipher.ENCRYPT_MODE;
    if (sealing && lastSealingKey != null && MessageDigest.isEqual(lastSealingKey, newKey)
        && MessageDigest.isEqual(lastSealingNonce, newNonce)) {
      // A nonce sealed twice under one key gives away the authentication key: refused, as the JDK does.
      throw new InvalidAlgorithmParameterException("AES-GCM encryption with the key and nonce it last used");
    }
    encrypt = sealing;
    this.key = newKey;
    nonce = newNonce;
    tagLength = tagBits / 8;
    if (sealing) {
      lastSealingKey = newKey;
      lastSealingNonce = newNonce;
    }
    sealed = false;
    aad.clear(false);
    data.clear(true);
  }

  @Override
  protected void engineUpdateAAD(byte[] src, int offset, int length) {
    checkReady();
    if (data.length > 0) {
      throw new IllegalStateException("AES-GCM's additional data must come before its data");
    }
    aad.append(src, offset, length);
  }

  @Override
  protected byte[] engineUpdate(byte[] input, int offset, int length) {
    checkReady();
    data.append(input, offset, length);
    return new byte[0];
  }

  @Override
  protected int engineUpdate(byte[] input, int offset, int length, byte[] output, int outputOffset) {
    checkReady();
    data.append(input, offset, length);
    return 0;
  }

  @Override
  protected byte[] engineDoFinal(byte[] input, int offset, int length)
      throws IllegalBlockSizeException, BadPaddingException {
    byte[] output = new byte[engineGetOutputSize(length)];
    try {
      int written = engineDoFinal(input, offset, length, output, 0);
      return written == output.length ? output : Arrays.copyOf(output, written);
    } catch (ShortBufferException e) {
      throw new IllegalStateException("output sized by getOutputSize was short", e);
    }
  }

  @Override
  protected int engineDoFinal(byte[] input, int offset, int length, byte[] output, int outputOffset)
      throws ShortBufferException, IllegalBlockSizeException, BadPaddingException {
    checkReady();
    int needed = engineGetOutputSize(length);
    if (output == null || output.length - outputOffset < needed) {
      throw new ShortBufferException("AES-GCM needs " + needed + " bytes of output room");
    }
    if (length > 0) {
      data.append(input, offset, length); // first: the output may be the input's own array
    }
    return crypt(MemorySegment.ofArray(data.bytes).asSlice(0, data.length),
        MemorySegment.ofArray(output).asSlice(outputOffset));
  }

  /**
   * The TLS record path: the record is sealed or opened where it lies, in the Java heap or in a
   * direct buffer, without the copies into arrays of CipherSpi's own ByteBuffer path (which is
   * still taken when the input was partly given by update, is read-only, or overlaps the output
   * from another start).
   */
  @Override
  protected int engineDoFinal(ByteBuffer input, ByteBuffer output)
      throws ShortBufferException, IllegalBlockSizeException, BadPaddingException {
    checkReady();
    MemorySegment in = input.isReadOnly() ? null : MemorySegment.ofBuffer(input);
    MemorySegment out = output.isReadOnly() ? null : MemorySegment.ofBuffer(output);
    if (data.length > 0 || in == null || out == null || overlapsFromAnotherStart(in, out)) {
      return super.engineDoFinal(input, output);
    }
    int needed = engineGetOutputSize(input.remaining());
    if (output.remaining() < needed) {
      throw new ShortBufferException("AES-GCM needs " + needed + " bytes of output room");
    }
    int written = crypt(in, out);
    input.position(input.limit());
    output.position(output.position() + written);
    return written;
  }

  /** Seals or opens all of {@code in} into the start of {@code out}; then the AAD and data are gone. */
  private int crypt(MemorySegment in, MemorySegment out) throws AEADBadTagException {
    try {
      MemorySegment additional = MemorySegment.ofArray(aad.bytes).asSlice(0, aad.length);
      int length = Math.toIntExact(in.byteSize());
      if (encrypt) {
        aead.seal(key, nonce, additional, in, out.asSlice(0, length), out.asSlice(length, tagLength));
        sealed = true;
        return length + tagLength;
      }
      if (length < tagLength) {
        throw new AEADBadTagException("AES-GCM input of " + length + " bytes is shorter than its tag");
      }
      int cipherLength = length - tagLength;
      if (!aead.open(key, nonce, additional, in.asSlice(0, cipherLength), in.asSlice(cipherLength, tagLength),
          out.asSlice(0, cipherLength))) {
        throw new AEADBadTagException("AES-GCM tag mismatch");
      }
      return cipherLength;
    } finally {
      aad.clear(false);
      data.clear(encrypt);
    }
  }

  /** Whether the two share bytes but start apart: libcrypto works in place only from the same start. */
  private static boolean overlapsFromAnotherStart(MemorySegment in, MemorySegment out) {
    // Overlapping segments are backed alike (one array, or native memory), so their addresses compare.
    return in.asOverlappingSlice(out).isPresent() && in.address() != out.address();
  }

  private void checkReady() {
    if (key == null) {
      throw new IllegalStateException("AES-GCM cipher not initialised");
    }
    if (sealed) {
      throw new IllegalStateException("AES-GCM encryption finished: initialise it again with a new nonce");
    }
  }

  private static byte[] keyBytes(Key key) throws InvalidKeyException {
    byte[] bytes = key == null || !"RAW".equalsIgnoreCase(key.getFormat()) ? null : key.getEncoded();
    if (bytes == null || (bytes.length != 16 && bytes.length != 24 && bytes.length != 32)) {
      throw new InvalidKeyException("AES-GCM needs a raw 128, 192 or 256-bit key");
    }
    return bytes;
  }

  /** A growable byte array for what waits for doFinal. */
  private static final class Buffer {
    private byte[] bytes = new byte[0];
    private int length;

    void append(byte[] source, int offset, int count) {
      java.util.Objects.checkFromIndexSize(offset, count, source.length);
      if (length + count > bytes.length) {
        long grown = Math.max((long) length + count, bytes.length * 2L);
        bytes = Arrays.copyOf(bytes, (int) Math.min(Integer.MAX_VALUE - 8, grown));
      }
      System.arraycopy(source, offset, bytes, length, count);
      length += count;
    }

    /** Empties it, zeroing what it held when that was plaintext (an encryption's). */
    void clear(boolean plaintext) {
      if (plaintext) {
        Arrays.fill(bytes, 0, length, (byte) 0);
      }
      length = 0;
    }
  }
}
