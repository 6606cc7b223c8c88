package org.espline.runtime.crypto;

import static org.espline.runtime.crypto.EspLayout.AEAD_IV_LENGTH;
import static org.espline.runtime.crypto.EspLayout.ESN_AAD_LENGTH;
import static org.espline.runtime.crypto.EspLayout.HEADER_LENGTH;

import java.security.GeneralSecurityException;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import org.espline.runtime.sa.SaConfig;

/**
 * AES-GMAC in ESP (RFC 4543, ENCR_NULL_AUTH_AES_GMAC): integrity only, the payload stays in the clear.
 *
 * <p>GMAC is GCM with an empty plaintext, so this runs the JCA's {@code AES/GCM/NoPadding} with
 * everything as AAD: SPI ‖ [seq-high] ‖ seq-low ‖ IV ‖ ESP payload (payload, padding, pad length, next
 * header), RFC 4543 §3.3 figures 4 and 5. The IV is part of the AAD, as draft-mcgrew-gcm-test-01's GMAC
 * case confirms. Nonce = salt(4) ‖ IV(8), IV = the 64-bit sequence number (§3.1), so it never repeats
 * under one key; a repeat would let a forger recover the GHASH key. ICV 16 (§3.3).
 *
 * <p>Not safe for use from multiple threads.
 */
final class AesGmacTransform extends EspTransform {
    private static final int SALT_LENGTH = 4;
    private static final int ICV_LENGTH = 16;
    private static final int BLOCK_SIZE = 4;

    private final Cipher cipher;
    private final SecretKeySpec key;
    private final boolean esn;
    private final byte[] nonce = new byte[SALT_LENGTH + AEAD_IV_LENGTH];
    private final byte[] aad = new byte[ESN_AAD_LENGTH];
    private boolean sealedAny;
    private long lastSealedSeq;

    AesGmacTransform(SaConfig sa) {
        if (sa.icvLength() != ICV_LENGTH) {
            throw new IllegalArgumentException("AES-GMAC: ICV length " + sa.icvLength() + " bytes is invalid (expected 16)");
        }
        this.esn = sa.esn();
        this.key = SaKeys.cipherKey(sa, "AES");
        SaKeys.copySalt(sa, nonce);
        try {
            this.cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(ICV_LENGTH * 8, nonce));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(sa.name() + ": AES-GMAC unavailable for this key ("
                    + sa.encryptionKey() + ")", e);
        }
    }

    @Override
    public int ivLength() {
        return AEAD_IV_LENGTH;
    }

    @Override
    public int icvLength() {
        return ICV_LENGTH;
    }

    @Override
    public int blockSize() {
        return BLOCK_SIZE;
    }

    @Override
    public void seal(byte[] packet, int espOffset, int payloadLength, byte[] tail, int tailOffset, int tailLength, long seq) {
        EspLayout.checkSeal(payloadLength, tail, tailLength, BLOCK_SIZE);
        if (sealedAny && seq == lastSealedSeq) {
            throw new IllegalStateException("sequence number " + seq + " sealed twice: AES-GMAC nonce reuse refused");
        }
        EspLayout.putLong(packet, espOffset + HEADER_LENGTH, seq);
        sealKeepingIv(packet, espOffset, payloadLength, tail, tailOffset, tailLength, seq);
        sealedAny = true;
        lastSealedSeq = seq;
    }

    /** Seals with the IV already in the packet: what published test vectors, with their own IVs, need. */
    void sealKeepingIv(byte[] packet, int espOffset, int payloadLength, byte[] tail, int tailOffset, int tailLength, long seq) {
        int ivOffset = espOffset + HEADER_LENGTH;
        System.arraycopy(packet, ivOffset, nonce, SALT_LENGTH, AEAD_IV_LENGTH);
        try {
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(ICV_LENGTH * 8, nonce));
            addAad(packet, espOffset, payloadLength, seq);
            byte[] icv = packet;
            int icvOffset = ivOffset + AEAD_IV_LENGTH + payloadLength;
            if (tail != null) {
                cipher.updateAAD(tail, tailOffset, tailLength);
                icv = tail;
                icvOffset = tailOffset + tailLength;
            }
            // Empty plaintext: doFinal emits just the tag, straight into the ICV slot.
            EspLayout.expectOutput(cipher.doFinal(icv, icvOffset, 0, icv, icvOffset), ICV_LENGTH, "AES-GMAC seal");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GMAC seal failed", e);
        }
    }

    @Override
    public boolean open(byte[] packet, int espOffset, int payloadLength, long seq) {
        int ivOffset = espOffset + HEADER_LENGTH;
        int icvOffset = ivOffset + AEAD_IV_LENGTH + payloadLength;
        System.arraycopy(packet, ivOffset, nonce, SALT_LENGTH, AEAD_IV_LENGTH);
        try {
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(ICV_LENGTH * 8, nonce));
            addAad(packet, espOffset, payloadLength, seq);
            cipher.doFinal(packet, icvOffset, ICV_LENGTH, packet, icvOffset);
            return true;
        } catch (AEADBadTagException e) {
            return false;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GMAC open failed", e);
        }
    }

    /** AAD of the linear part: header, IV and the payload bytes held in {@code packet}. */
    private void addAad(byte[] packet, int espOffset, int payloadLength, long seq) {
        int ivOffset = espOffset + HEADER_LENGTH;
        if (esn) {
            EspLayout.esnAad(aad, packet, espOffset, seq);
            cipher.updateAAD(aad, 0, ESN_AAD_LENGTH);
            cipher.updateAAD(packet, ivOffset, AEAD_IV_LENGTH + payloadLength);
        } else {
            cipher.updateAAD(packet, espOffset, HEADER_LENGTH + AEAD_IV_LENGTH + payloadLength);
        }
    }

    @Override
    public String toString() {
        return "AesGmacTransform[rfc4543 icv=16" + (esn ? " esn" : "") + " key=redacted]";
    }
}
