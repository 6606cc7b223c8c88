package org.espline.runtime.crypto;

import static org.espline.runtime.crypto.EspLayout.AEAD_IV_LENGTH;
import static org.espline.runtime.crypto.EspLayout.ESN_AAD_LENGTH;
import static org.espline.runtime.crypto.EspLayout.HEADER_LENGTH;

import java.util.Arrays;

import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.modes.AEADCipher;
import org.bouncycastle.crypto.modes.CCMBlockCipher;
import org.bouncycastle.crypto.modes.GCMBlockCipher;
import org.bouncycastle.crypto.modes.gcm.BasicGCMMultiplier;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.KeyParameter;
import org.espline.runtime.sa.SaConfig;

/**
 * The AEAD transforms the JDK cannot do, on Bouncy Castle's lightweight API:
 * <ul>
 *   <li>AES-CCM (RFC 4309): nonce = salt(3) ‖ IV(8), hence a 4-byte CCM length field (§4); ICV 8, 12 or 16.
 *       The JDK has no CCM at all.</li>
 *   <li>AES-GCM (RFC 4106) with an 8-byte ICV: SunJCE refuses GCM tags under 96 bits. GHASH uses
 *       {@link BasicGCMMultiplier}, which has no key-dependent table lookups, rather than BC's default
 *       table multiplier.</li>
 * </ul>
 * Both send the 64-bit sequence number as IV, so a nonce never repeats under one key, and take the
 * RFC 4106 §5 / RFC 4309 §5 AAD: SPI ‖ seq-low, or SPI ‖ seq-high ‖ seq-low with ESN.
 *
 * <p>The key is expanded once; each packet re-initialises with a null key, which BC reads as "keep the
 * key". CCM buffers the whole message until {@code doFinal} anyway, so the segmented seal simply joins
 * head and tail payload in a scratch array that grows to the largest packet seen and is then kept.
 * Not safe for use from multiple threads.
 */
final class BcAeadTransform extends EspTransform {
    private static final int BLOCK_SIZE = 4;

    private final String name;
    private final AEADCipher aead;
    private final int saltLength;
    private final int icvLength;
    private final boolean esn;
    private final byte[] nonce;
    private final byte[] lastNonce;
    private final byte[] detourNonce;
    private final byte[] aad = new byte[ESN_AAD_LENGTH];
    private byte[] joined = new byte[256];
    private boolean sealedAny;
    private long lastSealedSeq;

    static BcAeadTransform aesCcm(SaConfig sa) {
        return new BcAeadTransform("AES-CCM", CCMBlockCipher.newInstance(AESEngine.newInstance()), sa);
    }

    static BcAeadTransform aesGcmShortIcv(SaConfig sa) {
        return new BcAeadTransform("AES-GCM", GCMBlockCipher.newInstance(AESEngine.newInstance(), new BasicGCMMultiplier()), sa);
    }

    private BcAeadTransform(String name, AEADCipher aead, SaConfig sa) {
        if (!sa.encryption().acceptsIcvLength(sa.icvLength())) {
            throw new IllegalArgumentException(name + ": ICV length " + sa.icvLength() + " bytes is invalid");
        }
        this.name = name;
        this.aead = aead;
        this.saltLength = sa.encryption().saltLength();
        this.icvLength = sa.icvLength();
        this.esn = sa.esn();
        this.nonce = new byte[saltLength + AEAD_IV_LENGTH];
        this.lastNonce = new byte[nonce.length];
        this.detourNonce = new byte[nonce.length];
        byte[] material = sa.encryptionKey().copy();
        try {
            int keyLength = material.length - saltLength;
            System.arraycopy(material, keyLength, nonce, 0, saltLength);
            // Decrypt mode: expands the key without recording an encryption nonce.
            aead.init(false, new AEADParameters(new KeyParameter(material, 0, keyLength), icvLength * 8, nonce));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(sa.name() + ": " + name + " rejected the key (" + sa.encryptionKey() + ")", e);
        } finally {
            Arrays.fill(material, (byte) 0);
        }
        System.arraycopy(nonce, 0, lastNonce, 0, nonce.length);
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
            throw new IllegalStateException("sequence number " + seq + " sealed twice: " + name + " nonce reuse refused");
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
        System.arraycopy(packet, ivOffset, nonce, saltLength, AEAD_IV_LENGTH);
        init(true);
        addAad(packet, espOffset, seq);
        try {
            if (tail == null) {
                int n = aead.processBytes(packet, payloadOffset, payloadLength, packet, payloadOffset);
                n += aead.doFinal(packet, payloadOffset + n);
                EspLayout.expectOutput(n, payloadLength + icvLength, name + " seal");
            } else {
                int total = payloadLength + tailLength;
                if (joined.length < total + icvLength) {
                    joined = new byte[Math.max(total + icvLength, 2 * joined.length)];
                }
                System.arraycopy(packet, payloadOffset, joined, 0, payloadLength);
                System.arraycopy(tail, tailOffset, joined, payloadLength, tailLength);
                int n = aead.processBytes(joined, 0, total, joined, 0);
                n += aead.doFinal(joined, n);
                EspLayout.expectOutput(n, total + icvLength, name + " seal");
                System.arraycopy(joined, 0, packet, payloadOffset, payloadLength);
                System.arraycopy(joined, payloadLength, tail, tailOffset, tailLength + icvLength);
            }
        } catch (InvalidCipherTextException e) {
            throw new IllegalStateException(name + " seal failed", e);
        }
    }

    @Override
    public boolean open(byte[] packet, int espOffset, int payloadLength, long seq) {
        int ivOffset = espOffset + HEADER_LENGTH;
        int payloadOffset = ivOffset + AEAD_IV_LENGTH;
        System.arraycopy(packet, ivOffset, nonce, saltLength, AEAD_IV_LENGTH);
        init(false);
        addAad(packet, espOffset, seq);
        try {
            int n = aead.processBytes(packet, payloadOffset, payloadLength + icvLength, packet, payloadOffset);
            aead.doFinal(packet, payloadOffset + n);
            return true;
        } catch (InvalidCipherTextException e) {
            return false;
        }
    }

    /**
     * BC's GCM refuses to encrypt under the nonce of the previous initialisation, whatever its mode. After
     * opening a packet that carried the nonce we are about to seal with (possible only if both directions
     * share a key), we first pass through a different nonce; two seals of one sequence number never get
     * here, seal refuses them.
     */
    private void init(boolean forEncryption) {
        if (forEncryption && Arrays.equals(nonce, lastNonce)) {
            System.arraycopy(nonce, 0, detourNonce, 0, nonce.length);
            detourNonce[nonce.length - 1] ^= 1;
            aead.init(false, new AEADParameters(null, icvLength * 8, detourNonce));
        }
        aead.init(forEncryption, new AEADParameters(null, icvLength * 8, nonce));
        System.arraycopy(nonce, 0, lastNonce, 0, nonce.length);
    }

    private void addAad(byte[] packet, int espOffset, long seq) {
        if (esn) {
            EspLayout.esnAad(aad, packet, espOffset, seq);
            aead.processAADBytes(aad, 0, ESN_AAD_LENGTH);
        } else {
            aead.processAADBytes(packet, espOffset, HEADER_LENGTH);
        }
    }

    @Override
    public String toString() {
        return "BcAeadTransform[" + name + " icv=" + icvLength + (esn ? " esn" : "") + " key=redacted]";
    }
}
