package org.espline.runtime.crypto;

import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

import javax.crypto.Mac;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.SecretKeySpec;

/**
 * The ICV of a cipher + HMAC SA: HMAC (RFC 2104) over SPI ‖ seq-low ‖ IV ‖ ciphertext, truncated to the
 * ICV length (RFC 4868 §2.3, RFC 2404 §2). With ESN the high 32 bits of the sequence number are appended
 * to the MAC input after the payload but never sent (RFC 4303 §2.2.1, §3.3.2.2).
 *
 * <p>The {@link Mac} is keyed once and reused: {@code doFinal} leaves it ready for the next packet.
 * Not safe for use from multiple threads.
 */
final class EspHmac {
    private final Mac mac;
    private final int icvLength;
    private final boolean esn;
    /** The untruncated MAC of the last packet; the truncation is what goes on the wire. */
    private final byte[] digest;
    private final byte[] seqHigh = new byte[4];

    EspHmac(IntegrityAlgorithm algorithm, KeyMaterial key, int icvLength, boolean esn) {
        if (algorithm.jcaName() == null) {
            throw new IllegalArgumentException(algorithm + " is not an HMAC");
        }
        byte[] material = key.copy();
        try {
            this.mac = Mac.getInstance(algorithm.jcaName());
            mac.init(new SecretKeySpec(material, algorithm.jcaName()));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JCA has no " + algorithm.jcaName(), e);
        } catch (InvalidKeyException e) {
            throw new IllegalArgumentException(algorithm.linuxName() + ": key rejected (" + key + ")", e);
        } finally {
            Arrays.fill(material, (byte) 0);
        }
        this.digest = new byte[mac.getMacLength()];
        if (icvLength <= 0 || icvLength > digest.length) {
            throw new IllegalArgumentException(algorithm.linuxName() + ": ICV length " + icvLength
                    + " out of range 1.." + digest.length);
        }
        this.icvLength = icvLength;
        this.esn = esn;
    }

    int icvLength() {
        return icvLength;
    }

    /**
     * Computes the ICV over {@code packet[from, from+length)} then {@code tail[tailOffset, +tailLength)}
     * and writes it to {@code icv} at {@code icvOffset}.
     */
    void sign(byte[] packet, int from, int length, byte[] tail, int tailOffset, int tailLength, long seq,
              byte[] icv, int icvOffset) {
        mac.update(packet, from, length);
        if (tailLength > 0) {
            mac.update(tail, tailOffset, tailLength);
        }
        finish(seq);
        System.arraycopy(digest, 0, icv, icvOffset, icvLength);
    }

    /**
     * Signs an ESP packet whose ICV follows what it covers: {@code packet[espOffset, +length)}, then, in
     * the segmented form, {@code tail[tailOffset, +tailLength)}. The ICV goes right after the last byte
     * covered: in {@code packet}, or in {@code tail} whenever there is one.
     */
    void signBeforeIcv(byte[] packet, int espOffset, int length, byte[] tail, int tailOffset, int tailLength, long seq) {
        if (tail == null) {
            sign(packet, espOffset, length, null, 0, 0, seq, packet, espOffset + length);
        } else {
            sign(packet, espOffset, length, tail, tailOffset, tailLength, seq, tail, tailOffset + tailLength);
        }
    }

    /** Whether the ICV at {@code packet[icvOffset]} matches {@code packet[from, from+length)}, compared in constant time. */
    boolean verify(byte[] packet, int from, int length, long seq, int icvOffset) {
        mac.update(packet, from, length);
        finish(seq);
        return ConstantTime.equals(digest, 0, packet, icvOffset, icvLength);
    }

    private void finish(long seq) {
        if (esn) {
            EspLayout.putInt(seqHigh, 0, (int) (seq >>> 32));
            mac.update(seqHigh, 0, seqHigh.length);
        }
        try {
            mac.doFinal(digest, 0);
        } catch (ShortBufferException e) {
            throw new IllegalStateException("digest buffer shorter than the MAC", e);
        }
    }
}
