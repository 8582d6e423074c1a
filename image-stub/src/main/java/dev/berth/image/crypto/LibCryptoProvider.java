package dev.berth.image.crypto;

import java.security.Provider;
import java.security.Security;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A security provider whose {@code AES/GCM/NoPadding} is libcrypto's, installed ahead of the JDK's
 * own so that the TLS of registry pulls decrypts with it.
 *
 * <p>Why: the daemon runs with C1 alone (bin/berth), and the JDK's AES-GCM is fast only in C2's
 * code, where AES-NI and carry-less multiplication are intrinsics; under C1 its GHASH and AES
 * rounds are plain Java. A probe downloading 50 MB over TLS 1.3 (AES-256-GCM) from a loopback
 * server with the JDK's HTTP client and the daemon's JIT flags used 1.30 s of CPU, 97% of its
 * samples in {@code GHASH.blockMult}, {@code AESCrypt.implEncryptBlock} and {@code CounterMode}
 * (JFR), against 0.24 s with C2; nearly every registry a node pulls from speaks TLS.
 */
public final class LibCryptoProvider extends Provider {

  private static final Logger log = LoggerFactory.getLogger(LibCryptoProvider.class);

  static final String NAME = "BerthLibCrypto";
  private static final String TRANSFORMATION = "AES/GCM/NoPadding";

  /** Set once {@link #installFirst} has run: later requests skip it. */
  private static volatile boolean tried;

  private LibCryptoProvider(LibCryptoAead aead) {
    super(NAME, "1", "AES/GCM/NoPadding by OpenSSL's libcrypto 3");
    // Raw keys only, as the JDK's own AES-GCM declares.
    putService(new Service(this, "Cipher", TRANSFORMATION, LibCryptoAesGcm.class.getName(), List.of(),
        Map.of("SupportedKeyFormats", "RAW")) {
      @Override
      public Object newInstance(Object constructorParameter) {
        return new LibCryptoAesGcm(aead);
      }
    });
  }

  /** The provider, where the node's libcrypto 3 binds and seals and opens a known answer right. */
  static Optional<LibCryptoProvider> load() {
    return LibCryptoAead.load().map(LibCryptoProvider::new).filter(LibCryptoProvider::answersKnownVector);
  }

  /**
   * Installs the provider before the first request to an {@code https} URI: the JDK's TLS takes a
   * connection's ciphers when it is set up, so every later connection decrypts with libcrypto. Not
   * before: binding libcrypto's EVP calls starts OpenSSL's providers, ~1.8 MB resident (see
   * {@code Sha256}), which a node pulling only over plain HTTP never needs.
   */
  public static void installBeforeRequestTo(java.net.URI uri) {
    if (!tried && "https".equalsIgnoreCase(uri.getScheme())) {
      installFirst();
    }
  }

  /**
   * Installs the provider first in the JVM's list, once; where it cannot be, the JDK's AES-GCM
   * stays (correct, only slower). Returns whether libcrypto's is the JVM's AES-GCM now.
   */
  public static synchronized boolean installFirst() {
    if (!tried && Security.getProvider(NAME) == null) {
      Optional<LibCryptoProvider> provider = load();
      provider.ifPresent(p -> Security.insertProviderAt(p, 1));
      log.info("TLS decrypts AES-GCM with {}",
          provider.isPresent() ? "libcrypto 3" : "the JDK's own code (libcrypto 3 missing here or answering wrong)");
    }
    tried = true;
    return Security.getProvider(NAME) != null;
  }

  /**
   * The GCM specification's test case 4 (AES-128, 96-bit nonce, 20 bytes of AAD, 60 bytes), sealed
   * and opened again.
   */
  private boolean answersKnownVector() {
    try {
      HexFormat hex = HexFormat.of();
      SecretKeySpec key = new SecretKeySpec(hex.parseHex("feffe9928665731c6d6a8f9467308308"), "AES");
      GCMParameterSpec spec = new GCMParameterSpec(128, hex.parseHex("cafebabefacedbaddecaf888"));
      byte[] aad = hex.parseHex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
      byte[] plain = hex.parseHex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
          + "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39");
      String expected = "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
          + "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091" + "5bc94fbc3221a5db94fae95ae7121a47";
      Cipher seal = Cipher.getInstance(TRANSFORMATION, this);
      seal.init(Cipher.ENCRYPT_MODE, key, spec);
      seal.updateAAD(aad);
      byte[] sealed = seal.doFinal(plain);
      Cipher open = Cipher.getInstance(TRANSFORMATION, this);
      open.init(Cipher.DECRYPT_MODE, key, spec);
      open.updateAAD(aad);
      return hex.formatHex(sealed).equals(expected) && java.util.Arrays.equals(plain, open.doFinal(sealed));
    } catch (Exception | LinkageError e) {
      return false;
    }
  }
}
