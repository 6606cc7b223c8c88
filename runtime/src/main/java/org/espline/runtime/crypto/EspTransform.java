package org.espline.runtime.crypto;

/**
 * Seals and opens one ESP packet in place: encryption/decryption plus ICV, for one SA's algorithm and
 * keys. One instance per thread (it holds a JCA Cipher/Mac and scratch arrays): never share it.
 *
 * <p>Layout the caller prepares (offsets relative to {@code espOffset}):
 * <pre>
 *  0       4       8          8+ivLength                      8+ivLength+payloadLength
 *  +-------+-------+-------------+--------------------------------------+---------+
 *  |  SPI  | Seq   |  IV (room)  | payload | padding | padLen | nextHdr |   ICV   |
 *  +-------+-------+-------------+--------------------------------------+---------+
 *                                |<------------ payloadLength --------->|<-icvLen>|
 * </pre>
 * The caller writes SPI and the low 32 bits of the sequence number, the plaintext, padding, pad length
 * and next header. {@code seal} writes the IV (derived from the 64-bit sequence number, so an AEAD
 * nonce never repeats under one key), encrypts the payload in place and writes the ICV. With ESN the
 * high 32 bits of {@code seq} enter the AAD / ICV input (RFC 4303 §2.2.1, RFC 4106 §5) but not the wire.
 *
 * <p>Segmented form: when the trailer lives in a separate fragment (no tailroom, a free fragment slot),
 * the last {@code tailLength} bytes of the ESP payload and the ICV are in {@code tail} at
 * {@code tailOffset}; the first {@code payloadLength} bytes are in {@code packet} as above. The result
 * must be byte-identical to the linear form.
 *
 * <p>Instances come from {@link EspTransforms#create}. The AAD / ICV input takes SPI and seq-low from
 * the packet bytes, so write them before {@code seal}; {@code open} takes the IV from the packet. A
 * payload whose total length is not a multiple of {@link #blockSize()}, or negative lengths, are
 * programming errors ({@link IllegalArgumentException}); an AEAD transform refuses to seal the sequence
 * number it sealed last ({@link IllegalStateException}: that would repeat a nonce). {@code open} does not
 * throw for hostile input: any ICV failure, and a CBC payload that is not whole blocks, return false.
 */
public abstract class EspTransform {

    /** Bytes of IV on the wire. */
    public abstract int ivLength();

    /** Bytes of ICV on the wire. */
    public abstract int icvLength();

    /** The ESP payload length must be a multiple of this (cipher block, or 4 for stream ciphers). */
    public abstract int blockSize();

    /**
     * True when sealing writes nothing at all (no IV, no ICV, the plaintext is the ciphertext): ESP output may then
     * leave a segment's payload in the fragments it shares with its super-packet instead of sealing it out of place.
     */
    public boolean writesNothing() {
        return false;
    }

    /**
     * Encrypts/authenticates a linear packet in place: writes IV, ciphertext and ICV.
     *
     * @param packet        the array holding the ESP packet
     * @param espOffset     offset of the SPI
     * @param payloadLength bytes from the end of the IV to the end of the next-header byte
     * @param seq           the full 64-bit sequence number of this packet (high bits used only with ESN)
     */
    public final void seal(byte[] packet, int espOffset, int payloadLength, long seq) {
        seal(packet, espOffset, payloadLength, null, 0, 0, seq);
    }

    /**
     * Segmented seal: {@code payloadLength} bytes of ESP payload in {@code packet} after the IV, then
     * {@code tailLength} more bytes of ESP payload followed by the ICV room in {@code tail} at
     * {@code tailOffset}. With {@code tail == null} this is the linear form and the ICV follows the
     * payload in {@code packet}.
     */
    public abstract void seal(byte[] packet, int espOffset, int payloadLength,
                              byte[] tail, int tailOffset, int tailLength, long seq);

    /**
     * Gathering seal, out of place: the ESP payload's plaintext is {@code headLength} bytes already in
     * {@code packet} after the IV, followed by the bytes of {@code pieces} (other arrays, read and never
     * written: a GSO segment's share of its super-packet, the trailer). Writes the IV, encrypts the head in
     * place and the pieces straight into {@code packet} behind it, then writes the ICV, byte for byte what
     * {@link #seal} gives for the same payload laid out linearly. With {@code tail != null} the last
     * {@code tailLength} payload bytes (part of the pieces) and the ICV go to {@code tail} at
     * {@code tailOffset} instead (the trailer-fragment form); with {@code tail == null}, {@code tailLength}
     * is 0 and everything follows in {@code packet}, which must have room for it.
     *
     * <p>This default places the pieces' bytes where the output goes and seals there: right for transforms
     * whose output is their input (NULL, GMAC), where that placement <em>is</em> the cipher's output. The
     * encrypting transforms override it to encrypt each piece on its way into the packet, so no plaintext is
     * copied before it is encrypted.
     */
    public void sealGather(byte[] packet, int espOffset, int headLength, PayloadPieces pieces,
                           byte[] tail, int tailOffset, int tailLength, long seq) {
        checkGather(headLength, pieces, tail, tailLength);
        GatherCipher.place(packet, espOffset + EspLayout.HEADER_LENGTH + ivLength(), headLength, pieces, tail, tailOffset, tailLength);
        seal(packet, espOffset, headLength + pieces.length() - tailLength, tail, tailOffset, tailLength, seq);
    }

    /** The argument checks every {@link #sealGather} shares (programming errors, not hostile input). */
    static void checkGather(int headLength, PayloadPieces pieces, byte[] tail, int tailLength) {
        if (headLength < 0 || tailLength < 0 || (tail == null && tailLength != 0) || tailLength > pieces.length()) {
            throw new IllegalArgumentException("headLength: " + headLength + ", pieces: " + pieces.length()
                    + ", tailLength: " + tailLength + (tail == null ? " without a tail array" : "")
                    + " (expected: >= 0, tailLength 0 without a tail, the tail within the pieces)");
        }
    }

    /**
     * Verifies the ICV (in constant time) and decrypts in place a linear ESP packet laid out as above,
     * ICV included after the payload.
     *
     * @return true when the ICV verified and the payload is now plaintext; false on ICV failure, in which
     *         case the payload bytes are unspecified (the caller drops the packet)
     */
    public abstract boolean open(byte[] packet, int espOffset, int payloadLength, long seq);
}
