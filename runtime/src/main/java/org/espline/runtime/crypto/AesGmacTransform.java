package org.espline.runtime.crypto;

import static org.espline.runtime.crypto.EspLayout.AEAD_IV_LENGTH;

import java.security.GeneralSecurityException;
import java.security.spec.AlgorithmParameterSpec;

import javax.crypto.spec.GCMParameterSpec;

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
final class AesGmacTransform extends JcaAeadTransform {
    /** Nothing is encrypted, so nothing goes through {@link SplitCipher}. */
    private static final int NO_ENCRYPTION = 0;

    AesGmacTransform(SaConfig sa) {
        super("AES-GMAC", sa, "AES/GCM/NoPadding", "AES", NO_ENCRYPTION, 16);
    }

    @Override
    AlgorithmParameterSpec parameters(byte[] nonce) {
        return new GCMParameterSpec(icvLength * 8, nonce);
    }

    @Override
    void sealPayload(byte[] packet, int espOffset, int payloadLength, byte[] tail, int tailOffset, int tailLength, long seq)
            throws GeneralSecurityException {
        // AAD of the linear part: header, IV and the payload bytes held in packet; then the tail's.
        addAad(packet, espOffset, seq, AEAD_IV_LENGTH + payloadLength);
        byte[] icv = packet;
        int icvOffset = espOffset + PAYLOAD_OFFSET + payloadLength;
        if (tail != null) {
            cipher.updateAAD(tail, tailOffset, tailLength);
            icv = tail;
            icvOffset = tailOffset + tailLength;
        }
        // Empty plaintext: doFinal emits just the tag, straight into the ICV slot.
        EspLayout.expectOutput(cipher.doFinal(icv, icvOffset, 0, icv, icvOffset), icvLength, name, "seal");
    }

    /** Nothing to encrypt: the pieces are placed as they are (that is GMAC's output) and authenticated there. */
    @Override
    void sealGatherWithNonce(byte[] packet, int espOffset, int headLength, PayloadPieces pieces,
                             byte[] tail, int tailOffset, int tailLength, long seq) {
        placeThenSeal(packet, espOffset, headLength, pieces, tail, tailOffset, tailLength, seq);
    }

    @Override
    void openPayload(byte[] packet, int espOffset, int payloadLength, long seq) throws GeneralSecurityException {
        int icvOffset = espOffset + PAYLOAD_OFFSET + payloadLength;
        addAad(packet, espOffset, seq, AEAD_IV_LENGTH + payloadLength);
        cipher.doFinal(packet, icvOffset, icvLength, packet, icvOffset);
    }

    @Override
    public String toString() {
        return "AesGmacTransform[rfc4543 icv=16" + (esn ? " esn" : "") + " key=redacted]";
    }
}
