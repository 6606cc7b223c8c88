package org.espline.runtime.crypto;

import java.security.GeneralSecurityException;
import java.util.Arrays;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import org.bouncycastle.crypto.BlockCipher;
import org.bouncycastle.crypto.Digest;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.digests.SHA1Digest;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.digests.SHA384Digest;
import org.bouncycastle.crypto.digests.SHA512Digest;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.macs.GMac;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.modes.AEADCipher;
import org.bouncycastle.crypto.modes.CBCBlockCipher;
import org.bouncycastle.crypto.modes.CBCModeCipher;
import org.bouncycastle.crypto.modes.ChaCha20Poly1305;
import org.bouncycastle.crypto.modes.GCMBlockCipher;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.ParametersWithIV;
import org.espline.runtime.sa.SaConfig;

/**
 * ESP packets computed straight from the RFC descriptions with a second, independent implementation of
 * each primitive: Bouncy Castle's lightweight API where production uses the JCA, and the JCA (or the
 * hand-written {@link RfcCcm}) where production uses Bouncy Castle. Nothing here calls production code.
 */
final class ReferenceEsp {
    private ReferenceEsp() {
    }

    /** The IV production is specified to send for {@code seq}: the sequence number, or AES_K(seq ‖ SPI ‖ 0) for CBC. */
    static byte[] expectedIv(SaConfig sa, long seq) {
        switch (sa.encryption()) {
            case AES_CBC: {
                byte[] block = new byte[16];
                putLong(block, 0, seq);
                putInt(block, 8, sa.spi());
                BlockCipher aes = AESEngine.newInstance();
                aes.init(true, new KeyParameter(sa.encryptionKey().copy()));
                byte[] iv = new byte[16];
                aes.processBlock(block, 0, iv, 0);
                return iv;
            }
            case NULL:
                return new byte[0];
            default: {
                byte[] iv = new byte[8];
                putLong(iv, 0, seq);
                return iv;
            }
        }
    }

    /** SPI ‖ seq-low ‖ IV ‖ encrypted payload ‖ ICV for the SA, sequence number, IV and plaintext ESP payload. */
    static byte[] seal(SaConfig sa, int spi, long seq, byte[] iv, byte[] payload) {
        byte[] header = new byte[8];
        putInt(header, 0, spi);
        putInt(header, 4, (int) seq);
        byte[] seqHigh = new byte[4];
        putInt(seqHigh, 0, (int) (seq >>> 32));
        byte[] aad = sa.esn() ? concat(Arrays.copyOf(header, 4), seqHigh, Arrays.copyOfRange(header, 4, 8)) : header;
        byte[] material = sa.encryptionKey().copy();
        int saltLength = sa.encryption().saltLength();
        byte[] key = Arrays.copyOf(material, material.length - saltLength);
        byte[] nonce = concat(Arrays.copyOfRange(material, material.length - saltLength, material.length), iv);
        int icv = sa.icvLength();
        switch (sa.encryption()) {
            case AES_GCM:
                return concat(header, iv, sa.icvLength() == 8 ? jcaGcmTruncated(key, nonce, aad, payload, icv)
                        : bcAead(GCMBlockCipher.newInstance(AESEngine.newInstance()), key, nonce, aad, payload, icv));
            case CHACHA20_POLY1305:
                return concat(header, iv, bcAead(new ChaCha20Poly1305(), key, nonce, aad, payload, icv));
            case AES_CCM:
                return concat(header, iv, RfcCcm.seal(key, nonce, aad, payload, icv));
            case AES_GMAC: {
                GMac gmac = new GMac(GCMBlockCipher.newInstance(AESEngine.newInstance()));
                gmac.init(new ParametersWithIV(new KeyParameter(key), nonce));
                byte[] all = concat(aad, iv, payload);
                gmac.update(all, 0, all.length);
                byte[] tag = new byte[16];
                gmac.doFinal(tag, 0);
                return concat(header, iv, payload, tag);
            }
            case AES_CBC: {
                CBCModeCipher cbc = CBCBlockCipher.newInstance(AESEngine.newInstance());
                cbc.init(true, new ParametersWithIV(new KeyParameter(key), iv));
                byte[] ct = new byte[payload.length];
                for (int off = 0; off < payload.length; off += 16) {
                    cbc.processBlock(payload, off, ct, off);
                }
                byte[] signed = concat(header, iv, ct);
                return concat(signed, hmac(sa, signed, seqHigh));
            }
            case NULL: {
                byte[] signed = concat(header, payload);
                return concat(signed, hmac(sa, signed, seqHigh));
            }
            default:
                throw new AssertionError(sa.encryption());
        }
    }

    /** Truncated HMAC of {@code data} ‖ (seq-high with ESN), by Bouncy Castle. */
    static byte[] hmac(SaConfig sa, byte[] data, byte[] seqHigh) {
        HMac mac = new HMac(digest(sa.integrity()));
        mac.init(new KeyParameter(sa.integrityKey().copy()));
        mac.update(data, 0, data.length);
        if (sa.esn()) {
            mac.update(seqHigh, 0, 4);
        }
        byte[] full = new byte[mac.getMacSize()];
        mac.doFinal(full, 0);
        return Arrays.copyOf(full, sa.icvLength());
    }

    static Digest digest(IntegrityAlgorithm a) {
        switch (a) {
            case HMAC_SHA1_96: return new SHA1Digest();
            case HMAC_SHA256_128: return new SHA256Digest();
            case HMAC_SHA384_192: return new SHA384Digest();
            case HMAC_SHA512_256: return new SHA512Digest();
            default: throw new AssertionError(a);
        }
    }

    private static byte[] bcAead(AEADCipher c, byte[] key, byte[] nonce, byte[] aad, byte[] payload, int icv) {
        c.init(true, new AEADParameters(new KeyParameter(key), icv * 8, nonce, aad));
        byte[] out = new byte[c.getOutputSize(payload.length)];
        int n = c.processBytes(payload, 0, payload.length, out, 0);
        try {
            n += c.doFinal(out, n);
        } catch (InvalidCipherTextException e) {
            throw new AssertionError(e);
        }
        return Arrays.copyOf(out, n);
    }

    /** GCM with a 128-bit tag cut to its leftmost bytes (NIST SP 800-38D §5.2.1.2), via the JCA. */
    private static byte[] jcaGcmTruncated(byte[] key, byte[] nonce, byte[] aad, byte[] payload, int icv) {
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
            c.updateAAD(aad);
            byte[] full = c.doFinal(payload);
            return Arrays.copyOf(full, payload.length + icv);
        } catch (GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }

    static byte[] concat(byte[]... parts) {
        return EspTestSupport.concat(parts);
    }

    static void putInt(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }

    static void putLong(byte[] b, int off, long v) {
        putInt(b, off, (int) (v >>> 32));
        putInt(b, off + 4, (int) v);
    }
}
