package org.espline.runtime.crypto;

/**
 * Where things sit in an ESP packet, relative to the SPI, and the big-endian writes the transforms share.
 *
 * <pre>
 *  0       4       8                 8+iv
 *  +-------+-------+-----------------+---------------------------+-----+
 *  |  SPI  |seq-low|  IV (ivLength)  | ESP payload (payloadLen)  | ICV |
 *  +-------+-------+-----------------+---------------------------+-----+
 * </pre>
 *
 * <p>The AEAD AAD and the HMAC input are read from these wire bytes rather than from configuration, so
 * that what is authenticated is exactly what travels; only the high half of an extended sequence number,
 * which never travels, comes from the caller's {@code seq} (RFC 4303 §2.2.1).
 */
final class EspLayout {
    static final int SPI_OFFSET = 0;
    static final int SEQ_OFFSET = 4;
    /** SPI and the low 32 bits of the sequence number. */
    static final int HEADER_LENGTH = 8;
    /** The explicit IV of RFC 4106, 4309, 4543 and 7634: we send the 64-bit sequence number. */
    static final int AEAD_IV_LENGTH = 8;
    /** AAD with ESN: SPI, seq-high, seq-low (RFC 4106 §5, RFC 4309 §5, RFC 7634 §2.1). */
    static final int ESN_AAD_LENGTH = 12;

    private EspLayout() {
    }

    static void putInt(byte[] b, int offset, int v) {
        b[offset] = (byte) (v >>> 24);
        b[offset + 1] = (byte) (v >>> 16);
        b[offset + 2] = (byte) (v >>> 8);
        b[offset + 3] = (byte) v;
    }

    static void putLong(byte[] b, int offset, long v) {
        putInt(b, offset, (int) (v >>> 32));
        putInt(b, offset + 4, (int) v);
    }

    /** Fills {@code aad} with SPI ‖ seq-high ‖ seq-low, SPI and seq-low taken from the packet. */
    static void esnAad(byte[] aad, byte[] packet, int espOffset, long seq) {
        System.arraycopy(packet, espOffset + SPI_OFFSET, aad, 0, 4);
        putInt(aad, 4, (int) (seq >>> 32));
        System.arraycopy(packet, espOffset + SEQ_OFFSET, aad, 8, 4);
    }

    /**
     * Rejects a seal the caller laid out wrongly. These are programming errors in the output path, not
     * hostile input, so they throw (RFC 4303 §2.4: the payload ends 4-byte aligned, CBC needs whole blocks).
     */
    static void checkSeal(int payloadLength, byte[] tail, int tailLength, int blockSize) {
        if (payloadLength < 0 || tailLength < 0 || (tail == null && tailLength != 0)) {
            throw new IllegalArgumentException("payloadLength: " + payloadLength + ", tailLength: " + tailLength
                    + (tail == null ? " without a tail array" : "") + " (expected: >= 0, tailLength 0 when tail is null)");
        }
        if ((payloadLength + tailLength) % blockSize != 0) {
            throw new IllegalArgumentException("ESP payload length " + (payloadLength + tailLength)
                    + " is not a multiple of the block size " + blockSize);
        }
    }

    /** A provider that returns fewer bytes than the mode defines would leave plaintext behind: stop. */
    static void expectOutput(int produced, int expected, String algorithm, String operation) {
        // Two strings, joined only on failure: this runs for every packet, and must not allocate.
        if (produced != expected) {
            expectOutput(produced, expected, algorithm + " " + operation);
        }
    }

    static void expectOutput(int produced, int expected, String operation) {
        if (produced != expected) {
            throw new IllegalStateException(operation + " produced " + produced + " bytes (expected " + expected + ")");
        }
    }
}
