package org.espline.runtime.crypto;

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
final class BcAeadTransform extends AeadTransform {
    private final AEADCipher aead;
    private byte[] joined = new byte[256];
    private final GatherCipher gather;

    static BcAeadTransform aesCcm(SaConfig sa) {
        return new BcAeadTransform("AES-CCM", CCMBlockCipher.newInstance(AESEngine.newInstance()), sa);
    }

    static BcAeadTransform aesGcmShortIcv(SaConfig sa) {
        return new BcAeadTransform("AES-GCM", GCMBlockCipher.newInstance(AESEngine.newInstance(), new BasicGCMMultiplier()), sa);
    }

    /** Any AEAD engine of Bouncy Castle's with the ESP nonce and AAD (the {@code bouncycastle} offload backend). */
    static BcAeadTransform of(String name, AEADCipher aead, SaConfig sa) {
        return new BcAeadTransform(name, aead, sa);
    }

    private BcAeadTransform(String name, AEADCipher aead, SaConfig sa) {
        super(name, sa, 8, 12, 16);
        this.aead = aead;
        this.gather = new GatherCipher.Bc(aead);
        byte[] material = sa.encryptionKey().copy();
        try {
            // Decrypt mode: expands the key without recording an encryption nonce.
            aead.init(false, new AEADParameters(new KeyParameter(material, 0, material.length - saltLength), icvLength * 8, nonce));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(sa.name() + ": " + name + " rejected the key (" + sa.encryptionKey() + ")", e);
        } finally {
            Arrays.fill(material, (byte) 0);
        }
    }

    @Override
    void sealWithNonce(byte[] packet, int espOffset, int payloadLength, byte[] tail, int tailOffset, int tailLength, long seq) {
        int payloadOffset = espOffset + PAYLOAD_OFFSET;
        init(true);
        addAad(packet, espOffset, seq, 0);
        try {
            if (tail == null) {
                int n = aead.processBytes(packet, payloadOffset, payloadLength, packet, payloadOffset);
                n += aead.doFinal(packet, payloadOffset + n);
                EspLayout.expectOutput(n, payloadLength + icvLength, name, "seal");
            } else {
                int total = payloadLength + tailLength;
                if (joined.length < total + icvLength) {
                    joined = new byte[Math.max(total + icvLength, 2 * joined.length)];
                }
                System.arraycopy(packet, payloadOffset, joined, 0, payloadLength);
                System.arraycopy(tail, tailOffset, joined, payloadLength, tailLength);
                int n = aead.processBytes(joined, 0, total, joined, 0);
                n += aead.doFinal(joined, n);
                EspLayout.expectOutput(n, total + icvLength, name, "seal");
                System.arraycopy(joined, 0, packet, payloadOffset, payloadLength);
                System.arraycopy(joined, payloadLength, tail, tailOffset, tailLength + icvLength);
            }
        } catch (InvalidCipherTextException e) {
            throw new IllegalStateException(name + " seal failed", e);
        }
    }

    /** Out of place: BC's processBytes reads each piece and writes its ciphertext into the packet. */
    @Override
    void sealGatherWithNonce(byte[] packet, int espOffset, int headLength, PayloadPieces pieces,
                             byte[] tail, int tailOffset, int tailLength, long seq) {
        init(true);
        addAad(packet, espOffset, seq, 0);
        try {
            gather.encrypt(packet, espOffset + PAYLOAD_OFFSET, headLength, pieces, tail, tailOffset, tailLength, icvLength);
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(name + " seal failed", e);
        }
    }

    @Override
    boolean openWithNonce(byte[] packet, int espOffset, int payloadLength, long seq) {
        int payloadOffset = espOffset + PAYLOAD_OFFSET;
        init(false);
        addAad(packet, espOffset, seq, 0);
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
        if (forEncryption && repeatsLastNonce()) {
            aead.init(false, new AEADParameters(null, icvLength * 8, detourNonce));
        }
        aead.init(forEncryption, new AEADParameters(null, icvLength * 8, nonce));
        rememberNonce();
    }

    @Override
    void updateAad(byte[] bytes, int offset, int length) {
        aead.processAADBytes(bytes, offset, length);
    }

    @Override
    public String toString() {
        return "BcAeadTransform[" + name + " icv=" + icvLength + (esn ? " esn" : "") + " key=redacted]";
    }
}
