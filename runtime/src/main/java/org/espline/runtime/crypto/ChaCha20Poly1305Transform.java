package org.espline.runtime.crypto;

import java.security.GeneralSecurityException;
import java.security.spec.AlgorithmParameterSpec;

import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;

import org.espline.runtime.sa.SaConfig;

/**
 * ChaCha20-Poly1305 in ESP (RFC 7634) on the JCA's {@code ChaCha20-Poly1305}: 32-byte key, nonce =
 * salt(4) ‖ IV(8) (§2), IV = the 64-bit sequence number, AAD as RFC 4106 (§2.1), ICV 16.
 *
 * <p>Not safe for use from multiple threads.
 */
final class ChaCha20Poly1305Transform extends JcaAeadTransform {
    /** A stream cipher: update emits every byte it is given, so no block ever straddles head and tail. */
    private static final int STREAM = 1;

    ChaCha20Poly1305Transform(SaConfig sa) {
        super("ChaCha20-Poly1305", sa, "ChaCha20-Poly1305", "ChaCha20", STREAM, 16);
    }

    @Override
    AlgorithmParameterSpec parameters(byte[] nonce) {
        return new IvParameterSpec(nonce);
    }

    /**
     * SunJCE refuses two initialisations in a row with the same key and nonce, even to decrypt. Opening
     * one nonce twice is legitimate (a forged copy can arrive before the real packet, and replay
     * protection may be off), and so is sealing right after opening a packet that carried our next nonce
     * (an SA used both ways in a loopback, or a shared manual key): in those cases we first pass through a
     * different nonce, an extra init only on such a repeat. Decrypting releases nothing unverified, so the
     * repeat is harmless; two seals of one sequence number never get here, seal refuses them.
     */
    @Override
    void init(int mode) throws GeneralSecurityException {
        if (repeatsLastNonce()) {
            cipher.init(Cipher.DECRYPT_MODE, key, parameters(detourNonce));
        }
        super.init(mode);
        rememberNonce();
    }

    @Override
    public String toString() {
        return "ChaCha20Poly1305Transform[rfc7634 icv=16" + (esn ? " esn" : "") + " key=redacted]";
    }
}
