package org.espline.runtime.crypto;

import static org.espline.runtime.crypto.EspLayout.HEADER_LENGTH;

import org.espline.runtime.sa.SaConfig;

/**
 * NULL encryption (RFC 2410) with HMAC integrity: no IV, the payload in the clear, the ICV over
 * SPI ‖ seq-low ‖ payload (‖ seq-high with ESN, not sent). Not safe for use from multiple threads.
 */
final class NullHmacTransform extends EspTransform {
    /** RFC 2410 §2: block size 1, but the ESP payload still ends 4-byte aligned (RFC 4303 §2.4). */
    private static final int BLOCK_SIZE = 4;

    private final EspHmac hmac;
    private final boolean esn;

    NullHmacTransform(SaConfig sa) {
        this.hmac = new EspHmac(sa.integrity(), sa.integrityKey(), sa.icvLength(), sa.esn());
        this.esn = sa.esn();
    }

    @Override
    public int ivLength() {
        return 0;
    }

    @Override
    public int icvLength() {
        return hmac.icvLength();
    }

    @Override
    public int blockSize() {
        return BLOCK_SIZE;
    }

    @Override
    public void seal(byte[] packet, int espOffset, int payloadLength, byte[] tail, int tailOffset, int tailLength, long seq) {
        EspLayout.checkSeal(payloadLength, tail, tailLength, BLOCK_SIZE);
        hmac.signBeforeIcv(packet, espOffset, HEADER_LENGTH + payloadLength, tail, tailOffset, tailLength, seq);
    }

    @Override
    public boolean open(byte[] packet, int espOffset, int payloadLength, long seq) {
        return hmac.verify(packet, espOffset, HEADER_LENGTH + payloadLength, seq, espOffset + HEADER_LENGTH + payloadLength);
    }

    @Override
    public String toString() {
        return "NullHmacTransform[rfc2410 icv=" + hmac.icvLength() + (esn ? " esn" : "") + " key=redacted]";
    }
}
