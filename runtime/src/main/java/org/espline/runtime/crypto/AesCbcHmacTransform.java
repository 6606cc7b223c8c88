package org.espline.runtime.crypto;

import static org.espline.runtime.crypto.EspLayout.HEADER_LENGTH;

import java.security.GeneralSecurityException;

import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import org.espline.runtime.sa.SaConfig;

/**
 * AES-CBC (RFC 3602) with HMAC-SHA1-96 or HMAC-SHA2 (RFC 2404, RFC 4868), encrypt-then-MAC: the ICV
 * covers SPI ‖ seq-low ‖ IV ‖ ciphertext, with ESN followed by seq-high, which is not sent
 * (RFC 4303 §2.2.1, §3.3.2.2).
 *
 * <p><b>IV.</b> CBC needs an IV the attacker cannot predict before the plaintext is fixed (RFC 3602 §2.4;
 * a predictable IV enables the chosen-plaintext attack behind BEAST) and that does not repeat. We use
 * the first method of NIST SP 800-38A Appendix C: encrypt a nonce under the same key,
 * IV = AES-ECB_K(seq(8) ‖ SPI(4) ‖ 0(4)). The 64-bit sequence number never repeats within an SA, so
 * the nonce block is unique; without K its encryption is unpredictable. The SPI keeps IVs apart when
 * a manually keyed pair of SAs shares one key. This costs one AES block per packet on a second,
 * ECB-mode cipher that needs no re-initialisation, writes straight into the packet, and takes no
 * SecureRandom on the hot path (no entropy-pool contention, no blocking, deterministic tests).
 *
 * <p>Not safe for use from multiple threads.
 */
final class AesCbcHmacTransform extends EspTransform {
    private static final int AES_BLOCK = 16;
    private static final int IV_LENGTH = 16;

    private final Cipher cbc;
    private final Cipher ivCipher;
    private final SecretKeySpec key;
    private final EspHmac hmac;
    private final boolean esn;
    /** seq ‖ SPI ‖ 0: bytes 0..7 change per packet. */
    private final byte[] ivNonce = new byte[AES_BLOCK];
    private final byte[] bridge = new byte[SplitCipher.BRIDGE_LENGTH];
    private final GatherCipher gather;

    AesCbcHmacTransform(SaConfig sa) {
        this.key = SaKeys.cipherKey(sa, "AES");
        this.esn = sa.esn();
        this.hmac = new EspHmac(sa.integrity(), sa.integrityKey(), sa.icvLength(), sa.esn());
        EspLayout.putInt(ivNonce, 8, sa.spi());
        try {
            this.cbc = Cipher.getInstance("AES/CBC/NoPadding");
            cbc.init(Cipher.DECRYPT_MODE, key, new IvParameterSpec(new byte[IV_LENGTH]));
            this.ivCipher = Cipher.getInstance("AES/ECB/NoPadding");
            ivCipher.init(Cipher.ENCRYPT_MODE, key);
            this.gather = new GatherCipher.Jca(cbc, AES_BLOCK);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(sa.name() + ": AES-CBC unavailable for this key ("
                    + sa.encryptionKey() + ")", e);
        }
    }

    @Override
    public int ivLength() {
        return IV_LENGTH;
    }

    @Override
    public int icvLength() {
        return hmac.icvLength();
    }

    @Override
    public int blockSize() {
        return AES_BLOCK;
    }

    @Override
    public void seal(byte[] packet, int espOffset, int payloadLength, byte[] tail, int tailOffset, int tailLength, long seq) {
        EspLayout.checkSeal(payloadLength, tail, tailLength, AES_BLOCK);
        deriveIv(packet, espOffset, seq);
        sealKeepingIv(packet, espOffset, payloadLength, tail, tailOffset, tailLength, seq);
    }

    private void deriveIv(byte[] packet, int espOffset, long seq) {
        EspLayout.putLong(ivNonce, 0, seq);
        try {
            EspLayout.expectOutput(ivCipher.doFinal(ivNonce, 0, AES_BLOCK, packet, espOffset + HEADER_LENGTH),
                    IV_LENGTH, "AES-CBC IV");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-CBC IV derivation failed", e);
        }
    }

    /**
     * Out of place: CBC over the head in place and each piece into the packet behind it. Pieces need no
     * block alignment: the JCA holds a partial block back and emits it with the next call, right where it
     * belongs, because the ciphertext is contiguous. The HMAC then runs over the ciphertext as in {@link #seal}.
     */
    @Override
    public void sealGather(byte[] packet, int espOffset, int headLength, PayloadPieces pieces,
                           byte[] tail, int tailOffset, int tailLength, long seq) {
        checkGather(headLength, pieces, tail, tailLength);
        final int inPacket = headLength + pieces.length() - tailLength;
        EspLayout.checkSeal(inPacket, tail, tailLength, AES_BLOCK);
        deriveIv(packet, espOffset, seq);
        int ivOffset = espOffset + HEADER_LENGTH;
        try {
            cbc.init(Cipher.ENCRYPT_MODE, key, new IvParameterSpec(packet, ivOffset, IV_LENGTH));
            gather.encrypt(packet, ivOffset + IV_LENGTH, headLength, pieces, tail, tailOffset, tailLength, 0);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-CBC seal failed", e);
        }
        hmac.signBeforeIcv(packet, espOffset, HEADER_LENGTH + IV_LENGTH + inPacket, tail, tailOffset, tailLength, seq);
    }

    /** Encrypts and MACs with the IV already in the packet (RFC 3602 §4 test vectors bring their own). */
    void sealKeepingIv(byte[] packet, int espOffset, int payloadLength, byte[] tail, int tailOffset, int tailLength, long seq) {
        int ivOffset = espOffset + HEADER_LENGTH;
        int payloadOffset = ivOffset + IV_LENGTH;
        try {
            cbc.init(Cipher.ENCRYPT_MODE, key, new IvParameterSpec(packet, ivOffset, IV_LENGTH));
            if (tail == null) {
                EspLayout.expectOutput(cbc.doFinal(packet, payloadOffset, payloadLength, packet, payloadOffset),
                        payloadLength, "AES-CBC seal");
            } else {
                SplitCipher.encrypt(cbc, AES_BLOCK, packet, payloadOffset, payloadLength,
                        tail, tailOffset, tailLength, 0, bridge);
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-CBC seal failed", e);
        }
        hmac.signBeforeIcv(packet, espOffset, HEADER_LENGTH + IV_LENGTH + payloadLength, tail, tailOffset, tailLength, seq);
    }

    /**
     * Verifies the ICV first and decrypts only what verified (no padding oracle: nothing is decrypted
     * for a forged packet). A payload that is not whole blocks cannot have come from a correct peer.
     */
    @Override
    public boolean open(byte[] packet, int espOffset, int payloadLength, long seq) {
        if (payloadLength % AES_BLOCK != 0) {
            return false;
        }
        int ivOffset = espOffset + HEADER_LENGTH;
        int payloadOffset = ivOffset + IV_LENGTH;
        if (!hmac.verify(packet, espOffset, HEADER_LENGTH + IV_LENGTH + payloadLength, seq, payloadOffset + payloadLength)) {
            return false;
        }
        try {
            cbc.init(Cipher.DECRYPT_MODE, key, new IvParameterSpec(packet, ivOffset, IV_LENGTH));
            EspLayout.expectOutput(cbc.doFinal(packet, payloadOffset, payloadLength, packet, payloadOffset),
                    payloadLength, "AES-CBC open");
            return true;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-CBC open failed", e);
        }
    }

    @Override
    public String toString() {
        return "AesCbcHmacTransform[rfc3602 icv=" + hmac.icvLength() + (esn ? " esn" : "") + " keys=redacted]";
    }
}
