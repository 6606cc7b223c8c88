package org.espline.runtime.crypto;

import static org.espline.runtime.crypto.EspLayout.AEAD_IV_LENGTH;
import static org.espline.runtime.crypto.EspLayout.ESN_AAD_LENGTH;
import static org.espline.runtime.crypto.EspLayout.HEADER_LENGTH;

import java.util.Arrays;

import org.espline.runtime.sa.SaConfig;

/**
 * What the ESP AEAD transforms (RFC 4106, 4309, 4543, 7634) share, whatever engine runs them.
 *
 * <p>Nonce = salt ‖ IV(8), the salt being the tail of the SA's key material (RFC 4106 §4 and §8.1,
 * RFC 4309 §4 and §7.1, RFC 4543 §3.1 and §3.2, RFC 7634 §2 and §4). The IV we send is the 64-bit
 * sequence number, big-endian; the sequence counter never wraps within an SA, so a nonce never repeats
 * under one key. {@link #seal} also refuses to seal the sequence number it sealed last, since that would
 * repeat a nonce. The AAD is SPI ‖ seq-low, or SPI ‖ seq-high ‖ seq-low with ESN (RFC 4106 §5, RFC 4309
 * §5, RFC 7634 §2.1), read from the packet except seq-high, which never travels; GMAC authenticates IV
 * and payload as AAD after it (RFC 4543 §3.3).
 *
 * <p>A subclass runs its engine once the nonce holds the packet's IV: {@link #sealWithNonce} and
 * {@link #openWithNonce}, feeding the AAD through {@link #addAad}. The per-packet path allocates
 * nothing here; nonce, AAD and nonce-history arrays are fields. Not safe for use from multiple threads.
 */
abstract class AeadTransform extends EspTransform {
    /** Offset of the ESP payload from the SPI: header, then the explicit IV. */
    static final int PAYLOAD_OFFSET = HEADER_LENGTH + AEAD_IV_LENGTH;
    /** No block structure on the wire, but the ESP payload still ends 4-byte aligned (RFC 4303 §2.4). */
    private static final int BLOCK_SIZE = 4;

    /** The algorithm as messages name it. */
    final String name;
    final int saltLength;
    final int icvLength;
    final boolean esn;
    /** salt ‖ IV: the salt is set once, the IV part per packet from the packet. */
    final byte[] nonce;
    /**
     * A nonce other than {@link #nonce}, filled by {@link #repeatsLastNonce()}, for the engines that
     * refuse two initialisations in a row with one nonce.
     */
    final byte[] detourNonce;
    /** The nonce of the previous initialisation, as far as {@link #rememberNonce()} was told. */
    private final byte[] lastNonce;
    private final byte[] aad = new byte[ESN_AAD_LENGTH];
    private boolean sealedAny;
    private long lastSealedSeq;

    /**
     * Checks the ICV length and puts the salt in the nonce. The engine is the subclass's to set up; its
     * first initialisation, with the nonce as it is now (salt ‖ 0), counts as the last nonce.
     *
     * @param icvLengths the ICV lengths, in bytes, this transform supports
     */
    AeadTransform(String name, SaConfig sa, int... icvLengths) {
        checkIcvLength(name, sa.icvLength(), icvLengths);
        this.name = name;
        this.saltLength = sa.encryption().saltLength();
        this.icvLength = sa.icvLength();
        this.esn = sa.esn();
        this.nonce = new byte[saltLength + AEAD_IV_LENGTH];
        SaKeys.copySalt(sa, nonce);
        this.lastNonce = nonce.clone();
        this.detourNonce = new byte[nonce.length];
    }

    private static void checkIcvLength(String name, int icvLength, int[] supported) {
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < supported.length; i++) {
            if (supported[i] == icvLength) {
                return;
            }
            expected.append(i == 0 ? "" : i == supported.length - 1 ? " or " : ", ").append(supported[i]);
        }
        throw new IllegalArgumentException(name + ": ICV length " + icvLength + " bytes is invalid (expected " + expected + ")");
    }

    @Override
    public final int ivLength() {
        return AEAD_IV_LENGTH;
    }

    @Override
    public final int icvLength() {
        return icvLength;
    }

    @Override
    public final int blockSize() {
        return BLOCK_SIZE;
    }

    @Override
    public final void seal(byte[] packet, int espOffset, int payloadLength, byte[] tail, int tailOffset, int tailLength, long seq) {
        EspLayout.checkSeal(payloadLength, tail, tailLength, BLOCK_SIZE);
        if (sealedAny && seq == lastSealedSeq) {
            throw new IllegalStateException("sequence number " + seq + " sealed twice: " + name + " nonce reuse refused");
        }
        EspLayout.putLong(packet, espOffset + HEADER_LENGTH, seq);
        sealKeepingIv(packet, espOffset, payloadLength, tail, tailOffset, tailLength, seq);
        sealedAny = true;
        lastSealedSeq = seq;
    }

    @Override
    public final void sealGather(byte[] packet, int espOffset, int headLength, PayloadPieces pieces,
                                 byte[] tail, int tailOffset, int tailLength, long seq) {
        checkGather(headLength, pieces, tail, tailLength);
        EspLayout.checkSeal(headLength + pieces.length() - tailLength, tail, tailLength, BLOCK_SIZE);
        if (sealedAny && seq == lastSealedSeq) {
            throw new IllegalStateException("sequence number " + seq + " sealed twice: " + name + " nonce reuse refused");
        }
        EspLayout.putLong(packet, espOffset + HEADER_LENGTH, seq);
        System.arraycopy(packet, espOffset + HEADER_LENGTH, nonce, saltLength, AEAD_IV_LENGTH);
        sealGatherWithNonce(packet, espOffset, headLength, pieces, tail, tailOffset, tailLength, seq);
        sealedAny = true;
        lastSealedSeq = seq;
    }

    /**
     * {@link #sealGather} with {@link #nonce} holding the packet's IV. By default the pieces are placed in the
     * packet and sealed there ({@link #placeThenSeal}); an encrypting engine overrides this to encrypt them
     * out of place.
     */
    void sealGatherWithNonce(byte[] packet, int espOffset, int headLength, PayloadPieces pieces,
                             byte[] tail, int tailOffset, int tailLength, long seq) {
        placeThenSeal(packet, espOffset, headLength, pieces, tail, tailOffset, tailLength, seq);
    }

    /** For an engine that does not encrypt (GMAC): the pieces' bytes are its output, put in place, then sealed. */
    final void placeThenSeal(byte[] packet, int espOffset, int headLength, PayloadPieces pieces,
                             byte[] tail, int tailOffset, int tailLength, long seq) {
        GatherCipher.place(packet, espOffset + PAYLOAD_OFFSET, headLength, pieces, tail, tailOffset, tailLength);
        sealWithNonce(packet, espOffset, headLength + pieces.length() - tailLength, tail, tailOffset, tailLength, seq);
    }

    /** Seals with the IV already in the packet: what published test vectors, with their own IVs, need. */
    final void sealKeepingIv(byte[] packet, int espOffset, int payloadLength, byte[] tail, int tailOffset, int tailLength, long seq) {
        System.arraycopy(packet, espOffset + HEADER_LENGTH, nonce, saltLength, AEAD_IV_LENGTH);
        sealWithNonce(packet, espOffset, payloadLength, tail, tailOffset, tailLength, seq);
    }

    @Override
    public final boolean open(byte[] packet, int espOffset, int payloadLength, long seq) {
        System.arraycopy(packet, espOffset + HEADER_LENGTH, nonce, saltLength, AEAD_IV_LENGTH);
        return openWithNonce(packet, espOffset, payloadLength, seq);
    }

    /**
     * Seals as {@link #seal} describes, with {@link #nonce} already holding the packet's IV: initialise
     * the engine for it, feed the AAD, encrypt (or, for GMAC, authenticate) and write the ICV. Engine
     * failures are {@link IllegalStateException}s.
     */
    abstract void sealWithNonce(byte[] packet, int espOffset, int payloadLength, byte[] tail, int tailOffset, int tailLength, long seq);

    /** Opens as {@link #open} describes, with {@link #nonce} already holding the packet's IV; a bad tag is false. */
    abstract boolean openWithNonce(byte[] packet, int espOffset, int payloadLength, long seq);

    /** Passes AAD bytes to the engine, initialised for the current nonce. */
    abstract void updateAad(byte[] bytes, int offset, int length);

    /**
     * Feeds the AAD: SPI ‖ seq-low, or SPI ‖ seq-high ‖ seq-low with ESN, then the {@code clearLength}
     * packet bytes that follow the header (0 for the AEADs; IV and payload for GMAC).
     */
    final void addAad(byte[] packet, int espOffset, long seq, int clearLength) {
        if (esn) {
            EspLayout.esnAad(aad, packet, espOffset, seq);
            updateAad(aad, 0, ESN_AAD_LENGTH);
            if (clearLength > 0) {
                updateAad(packet, espOffset + HEADER_LENGTH, clearLength);
            }
        } else {
            updateAad(packet, espOffset, HEADER_LENGTH + clearLength);
        }
    }

    /**
     * For engines that refuse to be initialised twice in a row with one nonce (see the subclasses for
     * which and when): whether {@link #nonce} is the nonce of the previous initialisation. If so,
     * {@link #detourNonce} now holds the same nonce with its last bit flipped, to initialise with first.
     */
    final boolean repeatsLastNonce() {
        if (!Arrays.equals(nonce, lastNonce)) {
            return false;
        }
        System.arraycopy(nonce, 0, detourNonce, 0, nonce.length);
        detourNonce[nonce.length - 1] ^= 1;
        return true;
    }

    /** Records {@link #nonce} as the nonce of the latest initialisation, for {@link #repeatsLastNonce()}. */
    final void rememberNonce() {
        System.arraycopy(nonce, 0, lastNonce, 0, nonce.length);
    }
}
