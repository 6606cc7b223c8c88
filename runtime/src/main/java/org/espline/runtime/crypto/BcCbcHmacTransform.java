package org.espline.runtime.crypto;

import static org.espline.runtime.crypto.EspLayout.HEADER_LENGTH;

import java.util.Arrays;

import org.bouncycastle.crypto.Digest;
import org.bouncycastle.crypto.digests.SHA1Digest;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.digests.SHA384Digest;
import org.bouncycastle.crypto.digests.SHA512Digest;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.modes.CBCBlockCipher;
import org.bouncycastle.crypto.modes.CBCModeCipher;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.ParametersWithIV;
import org.espline.runtime.sa.SaConfig;

/**
 * AES-CBC with HMAC (RFC 3602, RFC 2404, RFC 4868) on Bouncy Castle's lightweight engines: the same wire bytes as
 * the JCA's {@code AesCbcHmacTransform} — IV = AES_K(seq(8) ‖ SPI(4) ‖ 0(4)) (NIST SP 800-38A App. C), encrypt then
 * MAC over SPI ‖ seq-low ‖ IV ‖ ciphertext (‖ seq-high with ESN, not sent), ICV the truncated HMAC, verified in
 * constant time before anything is decrypted.
 *
 * <p>The segmented form (trailer in a separate array) joins the payload in a scratch array that grows to the
 * largest packet seen; the gathering seal is the base class's (place, then seal). Not safe for use from multiple
 * threads.
 */
final class BcCbcHmacTransform extends EspTransform {
    private static final int AES_BLOCK = 16;
    private static final int IV_LENGTH = 16;

    private final AESEngine ivCipher = new AESEngine();
    private final CBCModeCipher cbc = CBCBlockCipher.newInstance(AESEngine.newInstance());
    private final KeyParameter key;
    private final HMac hmac;
    private final int icvLength;
    private final boolean esn;
    private final byte[] ivNonce = new byte[AES_BLOCK];
    private final byte[] digest;
    private final byte[] seqHigh = new byte[4];
    private byte[] joined = new byte[256];

    BcCbcHmacTransform(SaConfig sa) {
        byte[] material = sa.encryptionKey().copy();
        byte[] macKey = sa.integrityKey().copy();
        try {
            this.key = new KeyParameter(material);
            ivCipher.init(true, key);
            this.hmac = new HMac(digest(sa.integrity()));
            hmac.init(new KeyParameter(macKey));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(sa.name() + ": Bouncy Castle AES-CBC/HMAC rejected the keys ("
                    + sa.encryptionKey() + ")", e);
        } finally {
            Arrays.fill(material, (byte) 0);
            Arrays.fill(macKey, (byte) 0);
        }
        this.digest = new byte[hmac.getMacSize()];
        this.icvLength = sa.icvLength();
        if (icvLength <= 0 || icvLength > digest.length) {
            throw new IllegalArgumentException(sa.name() + ": ICV length " + icvLength + " out of range 1.." + digest.length);
        }
        this.esn = sa.esn();
        EspLayout.putInt(ivNonce, 8, sa.spi());
    }

    private static Digest digest(IntegrityAlgorithm a) {
        switch (a) {
            case HMAC_SHA1_96:
                return new SHA1Digest();
            case HMAC_SHA256_128:
                return new SHA256Digest();
            case HMAC_SHA384_192:
                return new SHA384Digest();
            case HMAC_SHA512_256:
                return new SHA512Digest();
            default:
                throw new IllegalArgumentException(a + " is not an HMAC");
        }
    }

    @Override
    public int ivLength() { return IV_LENGTH; }

    @Override
    public int icvLength() { return icvLength; }

    @Override
    public int blockSize() { return AES_BLOCK; }

    @Override
    public void seal(byte[] packet, int espOffset, int payloadLength, byte[] tail, int tailOffset, int tailLength, long seq) {
        EspLayout.checkSeal(payloadLength, tail, tailLength, AES_BLOCK);
        final int ivOffset = espOffset + HEADER_LENGTH;
        final int payloadOffset = ivOffset + IV_LENGTH;
        EspLayout.putLong(ivNonce, 0, seq);
        ivCipher.processBlock(ivNonce, 0, packet, ivOffset);
        cbc.init(true, new ParametersWithIV(key, packet, ivOffset, IV_LENGTH));
        if (tail == null) {
            encryptBlocks(packet, payloadOffset, payloadLength);
            mac(packet, espOffset, HEADER_LENGTH + IV_LENGTH + payloadLength, null, 0, 0, seq);
            System.arraycopy(digest, 0, packet, payloadOffset + payloadLength, icvLength);
        } else {
            final int total = payloadLength + tailLength;
            if (joined.length < total) {
                joined = new byte[Math.max(total, 2 * joined.length)];
            }
            System.arraycopy(packet, payloadOffset, joined, 0, payloadLength);
            System.arraycopy(tail, tailOffset, joined, payloadLength, tailLength);
            encryptBlocks(joined, 0, total);
            System.arraycopy(joined, 0, packet, payloadOffset, payloadLength);
            System.arraycopy(joined, payloadLength, tail, tailOffset, tailLength);
            mac(packet, espOffset, HEADER_LENGTH + IV_LENGTH + payloadLength, tail, tailOffset, tailLength, seq);
            System.arraycopy(digest, 0, tail, tailOffset + tailLength, icvLength);
        }
    }

    private void encryptBlocks(byte[] b, int offset, int length) {
        for (int i = 0; i < length; i += AES_BLOCK) {
            cbc.processBlock(b, offset + i, b, offset + i);
        }
    }

    private void mac(byte[] packet, int from, int length, byte[] tail, int tailOffset, int tailLength, long seq) {
        hmac.update(packet, from, length);
        if (tailLength > 0) {
            hmac.update(tail, tailOffset, tailLength);
        }
        if (esn) {
            EspLayout.putInt(seqHigh, 0, (int) (seq >>> 32));
            hmac.update(seqHigh, 0, 4);
        }
        hmac.doFinal(digest, 0);
    }

    @Override
    public boolean open(byte[] packet, int espOffset, int payloadLength, long seq) {
        if (payloadLength % AES_BLOCK != 0) {
            return false;
        }
        final int ivOffset = espOffset + HEADER_LENGTH;
        final int payloadOffset = ivOffset + IV_LENGTH;
        mac(packet, espOffset, HEADER_LENGTH + IV_LENGTH + payloadLength, null, 0, 0, seq);
        if (!ConstantTime.equals(digest, 0, packet, payloadOffset + payloadLength, icvLength)) {
            return false;
        }
        cbc.init(false, new ParametersWithIV(key, packet, ivOffset, IV_LENGTH));
        for (int i = 0; i < payloadLength; i += AES_BLOCK) {
            cbc.processBlock(packet, payloadOffset + i, packet, payloadOffset + i);
        }
        return true;
    }

    @Override
    public String toString() {
        return "BcCbcHmacTransform[rfc3602 icv=" + icvLength + (esn ? " esn" : "") + " keys=redacted]";
    }
}
