package org.espline.dsl.validation;

import org.espline.dsl.espline.AeadAlgorithm;
import org.espline.dsl.espline.AeadName;
import org.espline.dsl.espline.Algorithm;
import org.espline.dsl.espline.CipherIntegrity;
import org.espline.dsl.espline.CipherName;
import org.espline.dsl.espline.IntegrityName;
import org.espline.runtime.crypto.EncryptionAlgorithm;
import org.espline.runtime.crypto.IntegrityAlgorithm;

/**
 * What the model's algorithm names mean in the runtime's vocabulary: the transform, the key bytes (cipher key plus
 * salt, as {@code ip xfrm} takes them), the IV and the ICV. The numbers come from {@link EncryptionAlgorithm} and
 * {@link IntegrityAlgorithm}; only the key size and ICV length that the swanctl-style names carry are read here.
 */
final class AlgorithmFacts {

    private AlgorithmFacts() {
    }

    static EncryptionAlgorithm encryption(AeadName name) {
        String literal = name.getLiteral();
        if (literal.startsWith("chacha20")) {
            return EncryptionAlgorithm.CHACHA20_POLY1305;
        }
        if (literal.contains("gmac")) {
            return EncryptionAlgorithm.AES_GMAC;
        }
        return literal.contains("ccm") ? EncryptionAlgorithm.AES_CCM : EncryptionAlgorithm.AES_GCM;
    }

    static EncryptionAlgorithm encryption(CipherName name) {
        return name == CipherName.NULL ? EncryptionAlgorithm.NULL : EncryptionAlgorithm.AES_CBC;
    }

    static EncryptionAlgorithm encryption(Algorithm algorithm) {
        return algorithm instanceof AeadAlgorithm
                ? encryption(((AeadAlgorithm) algorithm).getName())
                : encryption(((CipherIntegrity) algorithm).getCipher());
    }

    static IntegrityAlgorithm integrity(IntegrityName name) {
        switch (name) {
            case SHA1_96: return IntegrityAlgorithm.HMAC_SHA1_96;
            case SHA256_128: return IntegrityAlgorithm.HMAC_SHA256_128;
            case SHA384_192: return IntegrityAlgorithm.HMAC_SHA384_192;
            default: return IntegrityAlgorithm.HMAC_SHA512_256;
        }
    }

    /** The cipher key without salt: 16/24/32 for AES (from the name), 32 for ChaCha20, 0 for NULL. */
    static int cipherKeyBytes(String name) {
        if (name.startsWith("chacha20")) {
            return 32;
        }
        if (name.equals("null")) {
            return 0;
        }
        return Integer.parseInt(name.substring(3, 6)) / 8;
    }

    /** The ICV of an AEAD: the number at the end of the name (aes128gcm12: 12), 16 for ChaCha20-Poly1305 and GMAC. */
    static int icvBytes(AeadName name) {
        String literal = name.getLiteral();
        if (literal.endsWith("gcm8") || literal.endsWith("ccm8")) {
            return 8;
        }
        if (literal.endsWith("gcm12") || literal.endsWith("ccm12")) {
            return 12;
        }
        return 16;
    }

    /** The ICV an SA appends: the AEAD's, or the truncated HMAC's (0 when a cipher has no integrity). */
    static int icvBytes(Algorithm algorithm, boolean hasIntegrity) {
        if (algorithm instanceof AeadAlgorithm) {
            return icvBytes(((AeadAlgorithm) algorithm).getName());
        }
        return hasIntegrity ? integrity(((CipherIntegrity) algorithm).getIntegrity()).defaultIcvLength() : 0;
    }

    /** The name as written in the model. */
    static String name(Algorithm algorithm) {
        return algorithm instanceof AeadAlgorithm
                ? ((AeadAlgorithm) algorithm).getName().getLiteral()
                : ((CipherIntegrity) algorithm).getCipher().getLiteral();
    }
}
