package org.espline.runtime.crypto;

import java.security.GeneralSecurityException;

import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

/**
 * A deliberately plain CCM encryption written from RFC 3610 §2.2-2.3 over the JCA's raw AES block, to
 * check the production CCM (Bouncy Castle) against something that shares no code with it. Slow; tests only.
 */
final class RfcCcm {
    private RfcCcm() {
    }

    /** Returns ciphertext ‖ U (the encrypted tag of {@code tagLength} bytes). */
    static byte[] seal(byte[] key, byte[] nonce, byte[] aad, byte[] plaintext, int tagLength) {
        try {
            Cipher aes = Cipher.getInstance("AES/ECB/NoPadding");
            aes.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"));
            int lengthField = 15 - nonce.length;

            // Authentication: CBC-MAC over B0, the encoded AAD and the message, each zero-padded to blocks.
            byte[] b0 = new byte[16];
            b0[0] = (byte) ((aad.length > 0 ? 0x40 : 0) | (((tagLength - 2) / 2) << 3) | (lengthField - 1));
            System.arraycopy(nonce, 0, b0, 1, nonce.length);
            long m = plaintext.length;
            for (int i = 15; i > nonce.length; i--, m >>>= 8) {
                b0[i] = (byte) m;
            }
            byte[] x = aes.doFinal(b0);
            if (aad.length > 0) {
                if (aad.length >= 0xFF00) {
                    throw new IllegalArgumentException("long AAD encodings not needed here");
                }
                byte[] a = new byte[2 + aad.length];
                a[0] = (byte) (aad.length >>> 8);
                a[1] = (byte) aad.length;
                System.arraycopy(aad, 0, a, 2, aad.length);
                x = cbcMac(aes, x, a);
            }
            x = cbcMac(aes, x, plaintext);

            // Encryption: counter blocks A_i = flags ‖ nonce ‖ i; S_0 masks the tag, S_1.. the message.
            byte[] out = new byte[plaintext.length + tagLength];
            byte[] a = new byte[16];
            a[0] = (byte) (lengthField - 1);
            System.arraycopy(nonce, 0, a, 1, nonce.length);
            byte[] s0 = aes.doFinal(a);
            for (int i = 0; i < tagLength; i++) {
                out[plaintext.length + i] = (byte) (x[i] ^ s0[i]);
            }
            for (int block = 0; block * 16 < plaintext.length; block++) {
                long counter = block + 1;
                for (int i = 15; i > nonce.length; i--, counter >>>= 8) {
                    a[i] = (byte) counter;
                }
                byte[] s = aes.doFinal(a);
                for (int i = 0; i < 16 && block * 16 + i < plaintext.length; i++) {
                    out[block * 16 + i] = (byte) (plaintext[block * 16 + i] ^ s[i]);
                }
            }
            return out;
        } catch (GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }

    private static byte[] cbcMac(Cipher aes, byte[] x, byte[] data) throws GeneralSecurityException {
        for (int off = 0; off < data.length; off += 16) {
            byte[] block = x.clone();
            for (int i = 0; i < 16 && off + i < data.length; i++) {
                block[i] ^= data[off + i];
            }
            x = aes.doFinal(block);
        }
        return x;
    }
}
