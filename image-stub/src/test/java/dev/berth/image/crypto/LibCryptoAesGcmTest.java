package dev.berth.image.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.berth.image.NodeLibraries;
import java.nio.ByteBuffer;
import java.security.InvalidAlgorithmParameterException;
import java.util.Arrays;
import java.util.SplittableRandom;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/** libcrypto's AES-GCM gives the JDK's bytes, refuses what the JDK refuses, and keeps its contract. */
class LibCryptoAesGcmTest {

  private static final String GCM = "AES/GCM/NoPadding";
  private final SplittableRandom random = new SplittableRandom(1021);

  @Test
  void libcryptoProvidesItWhereTheNodeHasIt() {
    assertEquals(NodeLibraries.hasLibcrypto3(), LibCryptoProvider.load().isPresent());
  }

  @Test
  void sealsAndOpensAsTheJdkDoes() throws Exception {
    for (int keyLength : new int[] {16, 24, 32}) {
      for (int size : new int[] {0, 1, 15, 16, 17, 1000, 16 * 1024 + 1, 200_000}) {
        for (int aadLength : new int[] {0, 13}) {
          SecretKeySpec key = new SecretKeySpec(bytes(keyLength), "AES");
          GCMParameterSpec spec = new GCMParameterSpec(128, bytes(12));
          byte[] aad = bytes(aadLength);
          byte[] plain = bytes(size);
          String what = "key " + keyLength + ", " + size + " bytes, aad " + aadLength;

          byte[] ours = crypt(ours(), Cipher.ENCRYPT_MODE, key, spec, aad, plain);
          assertArrayEquals(crypt(jdks(), Cipher.ENCRYPT_MODE, key, spec, aad, plain), ours, what);
          assertArrayEquals(plain, crypt(ours(), Cipher.DECRYPT_MODE, key, spec, aad, ours), what);
        }
      }
    }
  }

  @Test
  void aShorterTagAndANonceOfAnotherLengthAreTheJdks() throws Exception {
    SecretKeySpec key = new SecretKeySpec(bytes(16), "AES");
    byte[] plain = bytes(777);
    for (GCMParameterSpec spec : new GCMParameterSpec[] {new GCMParameterSpec(96, bytes(12)), new GCMParameterSpec(128, bytes(16)),
        new GCMParameterSpec(112, bytes(7))}) {
      byte[] ours = crypt(ours(), Cipher.ENCRYPT_MODE, key, spec, new byte[0], plain);
      assertArrayEquals(crypt(jdks(), Cipher.ENCRYPT_MODE, key, spec, new byte[0], plain), ours);
      assertArrayEquals(plain, crypt(ours(), Cipher.DECRYPT_MODE, key, spec, new byte[0], ours));
    }
  }

  @Test
  void aTamperedRecordIsRefusedAndNothingOfItReleased() throws Exception {
    SecretKeySpec key = new SecretKeySpec(bytes(32), "AES");
    GCMParameterSpec spec = new GCMParameterSpec(128, bytes(12));
    byte[] aad = bytes(13);
    byte[] sealed = crypt(ours(), Cipher.ENCRYPT_MODE, key, spec, aad, bytes(4096));
    for (int flipped : new int[] {0, 2000, sealed.length - 1}) { // the data, and the tag's last byte
      byte[] tampered = sealed.clone();
      tampered[flipped] ^= 1;
      assertRefused(key, spec, aad, tampered);
    }
    byte[] otherAad = aad.clone();
    otherAad[0] ^= 1;
    assertRefused(key, spec, otherAad, sealed);
    assertRefused(key, spec, aad, Arrays.copyOf(sealed, 15)); // shorter than its tag
  }

  private void assertRefused(SecretKeySpec key, GCMParameterSpec spec, byte[] aad, byte[] sealed) throws Exception {
    Cipher open = ours();
    open.init(Cipher.DECRYPT_MODE, key, spec);
    open.updateAAD(aad);
    byte[] output = new byte[sealed.length];
    Arrays.fill(output, (byte) 0x55);
    assertThrows(AEADBadTagException.class, () -> open.doFinal(sealed, 0, sealed.length, output, 0));
    // Zeros where the plaintext would have been, nothing written past it.
    byte[] expected = new byte[sealed.length];
    Arrays.fill(expected, Math.max(0, sealed.length - 16), sealed.length, (byte) 0x55);
    assertArrayEquals(expected, output);
  }

  @Test
  void sealsAndOpensRecordsInPlaceInHeapAndDirectBuffersAsTlsDoes() throws Exception {
    SecretKeySpec key = new SecretKeySpec(bytes(16), "AES");
    byte[] aad = bytes(5);
    byte[] plain = bytes(16 * 1024);
    for (boolean direct : new boolean[] {false, true}) {
      GCMParameterSpec spec = new GCMParameterSpec(128, bytes(12));
      byte[] sealed = crypt(jdks(), Cipher.ENCRYPT_MODE, key, spec, aad, plain);
      // As TLS writes: the plaintext at 5 in a buffer with room for the tag, sealed where it is.
      ByteBuffer record = (direct ? ByteBuffer.allocateDirect(sealed.length + 5) : ByteBuffer.allocate(sealed.length + 5));
      record.position(5).put(plain).flip().position(5);
      ByteBuffer plainView = record.duplicate();
      record.limit(5 + sealed.length);
      Cipher seal = ours();
      seal.init(Cipher.ENCRYPT_MODE, key, spec);
      seal.updateAAD(aad);
      assertEquals(sealed.length, seal.doFinal(plainView, record));
      assertArrayEquals(sealed, contents(record.duplicate().position(5)), "sealed in place, direct " + direct);

      // As TLS reads: opened where it is, the plaintext over the ciphertext.
      ByteBuffer in = record.duplicate().position(5);
      ByteBuffer out = record.duplicate().position(5);
      Cipher open = ours();
      open.init(Cipher.DECRYPT_MODE, key, spec);
      open.updateAAD(aad);
      assertEquals(plain.length, open.doFinal(in, out));
      assertEquals(5 + plain.length, out.position());
      assertArrayEquals(plain, contents(record.duplicate().position(5).limit(5 + plain.length)), "direct " + direct);
    }
  }

  @Test
  void aRecordOverlappingItsOutputFromAnotherStartIsOpenedRight() throws Exception {
    SecretKeySpec key = new SecretKeySpec(bytes(32), "AES");
    GCMParameterSpec spec = new GCMParameterSpec(128, bytes(12));
    byte[] plain = bytes(3000);
    byte[] sealed = crypt(jdks(), Cipher.ENCRYPT_MODE, key, spec, new byte[0], plain);
    ByteBuffer buffer = ByteBuffer.allocate(sealed.length + 7);
    buffer.position(7).put(sealed);
    ByteBuffer in = buffer.duplicate().position(7);
    ByteBuffer out = buffer.duplicate().position(0); // the plaintext lands 7 bytes before the ciphertext
    Cipher open = ours();
    open.init(Cipher.DECRYPT_MODE, key, spec);
    assertEquals(plain.length, open.doFinal(in, out));
    assertArrayEquals(plain, Arrays.copyOfRange(buffer.array(), 0, plain.length));
  }

  @Test
  void aTamperedRecordInABufferIsRefusedAndLeftWithoutPlaintext() throws Exception {
    SecretKeySpec key = new SecretKeySpec(bytes(16), "AES");
    GCMParameterSpec spec = new GCMParameterSpec(128, bytes(12));
    byte[] sealed = crypt(jdks(), Cipher.ENCRYPT_MODE, key, spec, new byte[0], bytes(2048));
    sealed[sealed.length - 1] ^= 1;
    ByteBuffer record = ByteBuffer.allocateDirect(sealed.length).put(sealed).flip();
    Cipher open = ours();
    open.init(Cipher.DECRYPT_MODE, key, spec);
    assertThrows(AEADBadTagException.class, () -> open.doFinal(record.duplicate(), record.duplicate()));
    assertArrayEquals(new byte[2048], contents(record.duplicate().limit(2048)));
  }

  private static byte[] contents(ByteBuffer buffer) {
    byte[] bytes = new byte[buffer.remaining()];
    buffer.get(bytes);
    return bytes;
  }

  @Test
  void anEncryptionNeedsANewNonceEachTime() throws Exception {
    SecretKeySpec key = new SecretKeySpec(bytes(16), "AES");
    GCMParameterSpec spec = new GCMParameterSpec(128, bytes(12));
    Cipher seal = ours();
    seal.init(Cipher.ENCRYPT_MODE, key, spec);
    seal.doFinal(bytes(10));
    assertThrows(IllegalStateException.class, () -> seal.doFinal(bytes(10)));
    assertThrows(InvalidAlgorithmParameterException.class, () -> seal.init(Cipher.ENCRYPT_MODE, key, spec));
    seal.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, bytes(12)));
    seal.doFinal(bytes(10));
    assertThrows(IllegalStateException.class, () -> seal.updateAAD(bytes(1)));
  }

  @Test
  void additionalDataComesBeforeTheData() throws Exception {
    Cipher seal = ours();
    seal.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(bytes(16), "AES"), new GCMParameterSpec(128, bytes(12)));
    seal.update(bytes(5));
    assertThrows(IllegalStateException.class, () -> seal.updateAAD(bytes(1)));
  }

  private static byte[] crypt(Cipher cipher, int mode, SecretKeySpec key, GCMParameterSpec spec, byte[] aad, byte[] in)
      throws Exception {
    cipher.init(mode, key, spec);
    cipher.updateAAD(aad);
    // Fed in uneven pieces, as a stream would be.
    int half = in.length / 3;
    byte[] first = cipher.update(in, 0, half);
    byte[] last = cipher.doFinal(in, half, in.length - half);
    byte[] all = Arrays.copyOf(first == null ? new byte[0] : first, (first == null ? 0 : first.length) + last.length);
    System.arraycopy(last, 0, all, all.length - last.length, last.length);
    return all;
  }

  private static Cipher ours() throws Exception {
    return Cipher.getInstance(GCM, LibCryptoProvider.load().orElseThrow());
  }

  private static Cipher jdks() throws Exception {
    return Cipher.getInstance(GCM, "SunJCE");
  }

  private byte[] bytes(int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }
}
