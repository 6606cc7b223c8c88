package org.espline.runtime.crypto;

import java.util.Arrays;

import javax.crypto.spec.SecretKeySpec;

import org.espline.runtime.sa.SaConfig;

/**
 * Splits an SA's encryption key material into the cipher key and the trailing salt (as {@code ip xfrm}
 * carries it: RFC 4106 §8.1, RFC 4309 §7.1, RFC 4543 §3.2, RFC 7634 §4). Every temporary copy is wiped;
 * {@link SecretKeySpec} keeps its own.
 */
final class SaKeys {
    private SaKeys() {
    }

    static SecretKeySpec cipherKey(SaConfig sa, String jcaAlgorithm) {
        byte[] material = sa.encryptionKey().copy();
        try {
            return new SecretKeySpec(material, 0, material.length - sa.encryption().saltLength(), jcaAlgorithm);
        } finally {
            Arrays.fill(material, (byte) 0);
        }
    }

    /** Copies the salt to the start of {@code nonce}; the IV part follows it per packet. */
    static void copySalt(SaConfig sa, byte[] nonce) {
        byte[] material = sa.encryptionKey().copy();
        try {
            int salt = sa.encryption().saltLength();
            System.arraycopy(material, material.length - salt, nonce, 0, salt);
        } finally {
            Arrays.fill(material, (byte) 0);
        }
    }
}
