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
 * AES-GCM in ESP (RFC 4106) with a 12- or 16-byte ICV, on the JCA's {@code AES/GCM/NoPadding}.
 *
 * <p>Nonce = salt(4) ‖ IV(8) (§4); the IV we send is the 64-bit sequence number, big-endian. The
 * sequence counter never wraps within an SA, so a nonce never repeats under one key, which GCM needs
 * absolutely: one repeat leaks the XOR of two plaintexts and lets a forger recover the GHASH key.
 * AAD = SPI ‖ seq-low, or SPI ‖ seq-high ‖ seq-low with ESN (§5). The SunJCE provider rejects tags
 * shorter than 96 bits, so the 8-byte ICV is {@link BcAeadTransform}'s job.
 *
 * <p>Per packet the cipher is initialised with a new {@link GCMParameterSpec} (the JCA has no other way
 * to change the nonce); key, nonce, AAD and bridge arrays are fields. Not safe for use from multiple
 * threads.
 */
final class AesGcmTransform extends EspTransform {
    private static final int SALT_LENGTH = 4;
    private static final int AES_BLOCK = 16;
    private static final int BLOCK_SIZE = 4;

    private final Cipher cipher;
    private final SecretKeySpec key;
    private final int icvLength;
    private final boolean esn;
    private final byte[] nonce = new byte[SALT_LENGTH + AEAD_IV_LENGTH];
    private final byte[] aad = new byte[ESN_AAD_LENGTH];
    private final byte[] bridge = new byte[SplitCipher.BRIDGE_LENGTH];
    private boolean sealedAny;
    private long lastSealedSeq;

    AesGcmTransform(SaConfig sa) {
        if (sa.icvLength() != 12 && sa.icvLength() != 16) {
            throw new IllegalArgumentException("AES-GCM via the JCA: ICV length " + sa.icvLength()
                    + " bytes is invalid (expected 12 or 16)");
        }
        this.icvLength = sa.icvLength();
        this.esn = sa.esn();
        this.key = SaKeys.cipherKey(sa, "AES");
        SaKeys.copySalt(sa, nonce);
        try {
            this.cipher = Cipher.getInstance("AES/GCM/NoPadding");
            // Decrypt mode: checks the key now without recording an encryption IV.
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(icvLength * 8, nonce));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(sa.name() + ": AES-GCM unavailable for this key ("
                    + sa.encryptionKey() + ")", e);
        }
    }

    @Override
    public int ivLength() {
        return AEAD_IV_LENGTH;
    }

    @Override
    public int icvLength() {
        return icvLength;
    }

    @Override
    public int blockSize() {
        return BLOCK_SIZE;
    }

    @Override
    public void seal(byte[] packet, int espOffset, int payloadLength, byte[] tail, int tailOffset, int tailLength, long seq) {
        EspLayout.checkSeal(payloadLength, tail, tailLength, BLOCK_SIZE);
        if (sealedAny && seq == lastSealedSeq) {
            throw new IllegalStateException("sequence number " + seq + " sealed twice: AES-GCM nonce reuse refused");
        }
        EspLayout.putLong(packet, espOffset + HEADER_LENGTH, seq);
        sealKeepingIv(packet, espOffset, payloadLength, tail, tailOffset, tailLength, seq);
        sealedAny = true;
        lastSealedSeq = seq;
    }

    /** Seals with the IV already in the packet: what published test vectors, with their own IVs, need. */
    void sealKeepingIv(byte[] packet, int espOffset, int payloadLength, byte[] tail, int tailOffset, int tailLength, long seq) {
        int ivOffset = espOffset + HEADER_LENGTH;
        int payloadOffset = ivOffset + AEAD_IV_LENGTH;
        System.arraycopy(packet, ivOffset, nonce, SALT_LENGTH, AEAD_IV_LENGTH);
        try {
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(icvLength * 8, nonce));
            addAad(packet, espOffset, seq);
            if (tail == null) {
                EspLayout.expectOutput(cipher.doFinal(packet, payloadOffset, payloadLength, packet, payloadOffset),
                        payloadLength + icvLength, "AES-GCM seal");
            } else {
                SplitCipher.encrypt(cipher, AES_BLOCK, packet, payloadOffset, payloadLength,
                        tail, tailOffset, tailLength, icvLength, bridge);
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM seal failed", e);
        }
    }

    @Override
    public boolean open(byte[] packet, int espOffset, int payloadLength, long seq) {
        int ivOffset = espOffset + HEADER_LENGTH;
        int payloadOffset = ivOffset + AEAD_IV_LENGTH;
        System.arraycopy(packet, ivOffset, nonce, SALT_LENGTH, AEAD_IV_LENGTH);
        try {
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(icvLength * 8, nonce));
            addAad(packet, espOffset, seq);
            cipher.doFinal(packet, payloadOffset, payloadLength + icvLength, packet, payloadOffset);
            return true;
        } catch (AEADBadTagException e) {
            return false;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM open failed", e);
        }
    }

    private void addAad(byte[] packet, int espOffset, long seq) {
        if (esn) {
            EspLayout.esnAad(aad, packet, espOffset, seq);
            cipher.updateAAD(aad, 0, ESN_AAD_LENGTH);
        } else {
            cipher.updateAAD(packet, espOffset, HEADER_LENGTH);
        }
    }

    @Override
    public String toString() {
        return "AesGcmTransform[rfc4106 icv=" + icvLength + (esn ? " esn" : "") + " key=redacted]";
    }
}
