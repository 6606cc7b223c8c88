package org.espline.runtime.crypto;

import static org.espline.runtime.crypto.EspLayout.AEAD_IV_LENGTH;
import static org.espline.runtime.crypto.EspLayout.ESN_AAD_LENGTH;
import static org.espline.runtime.crypto.EspLayout.HEADER_LENGTH;

import java.security.GeneralSecurityException;
import java.util.Arrays;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import org.espline.runtime.sa.SaConfig;

/**
 * ChaCha20-Poly1305 in ESP (RFC 7634) on the JCA's {@code ChaCha20-Poly1305}: 32-byte key, nonce =
 * salt(4) ‖ IV(8) (§2), IV = the 64-bit sequence number, AAD as RFC 4106 (§2.1), ICV 16.
 *
 * <p>Not safe for use from multiple threads.
 */
final class ChaCha20Poly1305Transform extends EspTransform {
    private static final int SALT_LENGTH = 4;
    private static final int NONCE_LENGTH = SALT_LENGTH + AEAD_IV_LENGTH;
    private static final int ICV_LENGTH = 16;
    private static final int BLOCK_SIZE = 4;
    /** A stream cipher: update emits every byte it is given, so no block ever straddles head and tail. */
    private static final int STREAM = 1;

    private final Cipher cipher;
    private final SecretKeySpec key;
    private final boolean esn;
    private final byte[] nonce = new byte[NONCE_LENGTH];
    private final byte[] lastNonce = new byte[NONCE_LENGTH];
    private final byte[] detourNonce = new byte[NONCE_LENGTH];
    private final byte[] aad = new byte[ESN_AAD_LENGTH];
    private final byte[] bridge = new byte[SplitCipher.BRIDGE_LENGTH];
    private boolean sealedAny;
    private long lastSealedSeq;

    ChaCha20Poly1305Transform(SaConfig sa) {
        if (sa.icvLength() != ICV_LENGTH) {
            throw new IllegalArgumentException("ChaCha20-Poly1305: ICV length " + sa.icvLength() + " bytes is invalid (expected 16)");
        }
        this.esn = sa.esn();
        this.key = SaKeys.cipherKey(sa, "ChaCha20");
        SaKeys.copySalt(sa, nonce);
        try {
            this.cipher = Cipher.getInstance("ChaCha20-Poly1305");
            cipher.init(Cipher.DECRYPT_MODE, key, new IvParameterSpec(nonce));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(sa.name() + ": ChaCha20-Poly1305 unavailable for this key ("
                    + sa.encryptionKey() + ")", e);
        }
        System.arraycopy(nonce, 0, lastNonce, 0, NONCE_LENGTH);
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
            throw new IllegalStateException("sequence number " + seq + " sealed twice: ChaCha20-Poly1305 nonce reuse refused");
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
            init(Cipher.ENCRYPT_MODE);
            addAad(packet, espOffset, seq);
            if (tail == null) {
                EspLayout.expectOutput(cipher.doFinal(packet, payloadOffset, payloadLength, packet, payloadOffset),
                        payloadLength + ICV_LENGTH, "ChaCha20-Poly1305 seal");
            } else {
                SplitCipher.encrypt(cipher, STREAM, packet, payloadOffset, payloadLength,
                        tail, tailOffset, tailLength, ICV_LENGTH, bridge);
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ChaCha20-Poly1305 seal failed", e);
        }
    }

    @Override
    public boolean open(byte[] packet, int espOffset, int payloadLength, long seq) {
        int ivOffset = espOffset + HEADER_LENGTH;
        int payloadOffset = ivOffset + AEAD_IV_LENGTH;
        System.arraycopy(packet, ivOffset, nonce, SALT_LENGTH, AEAD_IV_LENGTH);
        try {
            init(Cipher.DECRYPT_MODE);
            addAad(packet, espOffset, seq);
            cipher.doFinal(packet, payloadOffset, payloadLength + ICV_LENGTH, packet, payloadOffset);
            return true;
        } catch (AEADBadTagException e) {
            return false;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ChaCha20-Poly1305 open failed", e);
        }
    }

    /**
     * SunJCE refuses two initialisations in a row with the same key and nonce, even to decrypt. Opening
     * one nonce twice is legitimate (a forged copy can arrive before the real packet, and replay
     * protection may be off), and so is sealing right after opening a packet that carried our next nonce
     * (an SA used both ways in a loopback, or a shared manual key): in those cases we first pass through a
     * different nonce, an extra init only on such a repeat. Decrypting releases nothing unverified, so the
     * repeat is harmless; two seals of one sequence number never get here, seal refuses them.
     */
    private void init(int mode) throws GeneralSecurityException {
        if (Arrays.equals(nonce, lastNonce)) {
            System.arraycopy(nonce, 0, detourNonce, 0, NONCE_LENGTH);
            detourNonce[NONCE_LENGTH - 1] ^= 1;
            cipher.init(Cipher.DECRYPT_MODE, key, new IvParameterSpec(detourNonce));
        }
        cipher.init(mode, key, new IvParameterSpec(nonce));
        System.arraycopy(nonce, 0, lastNonce, 0, NONCE_LENGTH);
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
        return "ChaCha20Poly1305Transform[rfc7634 icv=16" + (esn ? " esn" : "") + " key=redacted]";
    }
}
