package org.espline.runtime.crypto;

import java.security.GeneralSecurityException;
import java.security.spec.AlgorithmParameterSpec;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

import org.espline.runtime.sa.SaConfig;

/**
 * The AEAD transforms on a JCA {@link Cipher}: {@link AesGcmTransform}, {@link ChaCha20Poly1305Transform}
 * and {@link AesGmacTransform}.
 *
 * <p>Per packet the cipher is initialised with a new parameter spec from {@link #parameters} (the JCA has
 * no other way to change the nonce); key, nonce, AAD and bridge arrays are fields. Sealing encrypts the
 * payload in place and {@code doFinal} writes the tag right after it, into the ICV slot; a segmented
 * payload goes through {@link SplitCipher}. Opening hands ciphertext and ICV to one {@code doFinal}; a
 * tag that does not verify ({@link AEADBadTagException}) makes {@code open} return false. Not safe for
 * use from multiple threads.
 */
abstract class JcaAeadTransform extends AeadTransform {
    final Cipher cipher;
    final SecretKeySpec key;
    /** Bytes {@code update} consumes without buffering ({@link SplitCipher#encrypt}'s {@code block}). */
    private final int updateBlock;
    private final byte[] bridge = new byte[SplitCipher.BRIDGE_LENGTH];

    /**
     * @param transformation the JCA cipher, e.g. {@code AES/GCM/NoPadding}
     * @param keyAlgorithm   the JCA key algorithm, e.g. {@code AES}
     * @param updateBlock    see {@link SplitCipher#encrypt}: 16 for AES modes, 1 for a stream cipher
     */
    JcaAeadTransform(String name, SaConfig sa, String transformation, String keyAlgorithm, int updateBlock,
                     int... icvLengths) {
        super(name, sa, icvLengths);
        this.updateBlock = updateBlock;
        this.key = SaKeys.cipherKey(sa, keyAlgorithm);
        try {
            this.cipher = Cipher.getInstance(transformation);
            // Decrypt mode: checks the key now without recording an encryption IV.
            cipher.init(Cipher.DECRYPT_MODE, key, parameters(nonce));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(sa.name() + ": " + name + " unavailable for this key ("
                    + sa.encryptionKey() + ")", e);
        }
    }

    /**
     * The cipher parameters for {@code nonce}. Called from the constructor too, so it may use only the
     * fields of this class and its superclass.
     */
    abstract AlgorithmParameterSpec parameters(byte[] nonce);

    /** Initialises the cipher for {@link #nonce}; overridden where the provider needs a workaround. */
    void init(int mode) throws GeneralSecurityException {
        cipher.init(mode, key, parameters(nonce));
    }

    @Override
    final void sealWithNonce(byte[] packet, int espOffset, int payloadLength, byte[] tail, int tailOffset, int tailLength, long seq) {
        try {
            init(Cipher.ENCRYPT_MODE);
            sealPayload(packet, espOffset, payloadLength, tail, tailOffset, tailLength, seq);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(name + " seal failed", e);
        }
    }

    /** With the cipher initialised: AAD, then the payload encrypted in place and the tag as ICV. */
    void sealPayload(byte[] packet, int espOffset, int payloadLength, byte[] tail, int tailOffset, int tailLength, long seq)
            throws GeneralSecurityException {
        int payloadOffset = espOffset + PAYLOAD_OFFSET;
        addAad(packet, espOffset, seq, 0);
        if (tail == null) {
            EspLayout.expectOutput(cipher.doFinal(packet, payloadOffset, payloadLength, packet, payloadOffset),
                    payloadLength + icvLength, name, "seal");
        } else {
            SplitCipher.encrypt(cipher, updateBlock, packet, payloadOffset, payloadLength,
                    tail, tailOffset, tailLength, icvLength, bridge);
        }
    }

    /**
     * The pieces placed behind the head (one copy each), then one in-place seal. The other way, each piece
     * encrypted out of place by its own {@code update}, writes the same bytes once, but the JCA's per-call cost
     * made a GSO segment of 1360 bytes about 200 ns slower with AES-GCM on JDK 17 than placing and sealing it.
     */
    @Override
    void sealGatherWithNonce(byte[] packet, int espOffset, int headLength, PayloadPieces pieces,
                             byte[] tail, int tailOffset, int tailLength, long seq) {
        placeThenSeal(packet, espOffset, headLength, pieces, tail, tailOffset, tailLength, seq);
    }

    @Override
    final boolean openWithNonce(byte[] packet, int espOffset, int payloadLength, long seq) {
        try {
            init(Cipher.DECRYPT_MODE);
            openPayload(packet, espOffset, payloadLength, seq);
            return true;
        } catch (AEADBadTagException e) {
            return false;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(name + " open failed", e);
        }
    }

    /** With the cipher initialised: AAD, then ciphertext and ICV verified and decrypted in place. */
    void openPayload(byte[] packet, int espOffset, int payloadLength, long seq) throws GeneralSecurityException {
        int payloadOffset = espOffset + PAYLOAD_OFFSET;
        addAad(packet, espOffset, seq, 0);
        cipher.doFinal(packet, payloadOffset, payloadLength + icvLength, packet, payloadOffset);
    }

    @Override
    final void updateAad(byte[] bytes, int offset, int length) {
        cipher.updateAAD(bytes, offset, length);
    }
}
