package org.espline.runtime.crypto;

import java.security.GeneralSecurityException;

import javax.crypto.Cipher;

import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.modes.AEADCipher;

/**
 * Encrypts an ESP payload out of place from its pieces with one initialised cipher: the head that already
 * lies in the packet (in place), then each {@link PayloadPieces} piece straight into the packet behind it.
 * The ciphertext comes out contiguous, so whatever a mode holds back between calls (a partial AES block in
 * CBC or GCM, everything in CCM) is simply emitted by a later call at the right place: no block alignment
 * across pieces is needed, and no piece is copied before it is encrypted.
 *
 * <p>With a trailer fragment ({@code tail != null}) the last {@code tailLength} payload bytes and the tag
 * belong in another array; their ciphertext, with whatever the mode still held back, is produced into a
 * small bridge array and moved to both sides, as {@link SplitCipher} does for the straddling block.
 *
 * <p>One instance per transform (it keeps the bridge); not thread-safe.
 */
abstract class GatherCipher {
    private byte[] bridge = new byte[64];

    /** Encrypts {@code in[inOffset, +length)} to {@code out[outOffset..]}; returns the bytes produced. */
    abstract int update(byte[] in, int inOffset, int length, byte[] out, int outOffset) throws GeneralSecurityException;

    /** Emits what is held back and the tag (if any) at {@code out[outOffset..]}; returns the bytes produced. */
    abstract int finish(byte[] out, int outOffset) throws GeneralSecurityException;

    /** The most payload bytes the engine may hold back before {@link #finish}, for a payload of {@code payloadLength}. */
    abstract int maxHeldBack(int payloadLength);

    /**
     * @param payloadOffset where the ESP payload starts in {@code packet} (after the IV)
     * @param headLength    plaintext bytes already at {@code payloadOffset}, encrypted in place
     * @param pieces        the rest of the plaintext, encrypted to {@code packet} right after the head
     * @param tail          null: everything, tag included, goes to {@code packet}; else the last
     *                      {@code tailLength} payload bytes and the tag go to {@code tail[tailOffset..]}
     * @param tagLength     bytes {@link #finish} appends (0 for CBC)
     */
    final void encrypt(byte[] packet, int payloadOffset, int headLength, PayloadPieces pieces,
                       byte[] tail, int tailOffset, int tailLength, int tagLength) throws GeneralSecurityException {
        final int payloadLength = headLength + pieces.length();
        final int n = pieces.count();
        int out = payloadOffset;
        if (headLength > 0) {
            out += update(packet, payloadOffset, headLength, packet, payloadOffset);
        }
        if (tail == null) {
            for (int i = 0; i < n; i++) {
                out += update(pieces.array(i), pieces.offset(i), pieces.length(i), packet, out);
            }
            out += finish(packet, out);
            EspLayout.expectOutput(out - payloadOffset, payloadLength + tagLength, "gathering seal");
            return;
        }
        // Plaintext bytes whose ciphertext stays in the packet; the head must be among them.
        final int split = payloadLength - tailLength;
        if (headLength > split) {
            throw new IllegalArgumentException("head " + headLength + " runs into the tail (payload " + payloadLength
                    + ", tail " + tailLength + ")");
        }
        final int need = maxHeldBack(payloadLength) + tailLength + tagLength;
        if (bridge.length < need) {
            bridge = new byte[need];
        }
        final byte[] br = bridge;
        int fed = headLength;
        int b = 0;
        for (int i = 0; i < n; i++) {
            final byte[] a = pieces.array(i);
            final int off = pieces.offset(i);
            final int len = pieces.length(i);
            final int toPacket = Math.min(len, Math.max(0, split - fed));
            if (toPacket > 0) {
                out += update(a, off, toPacket, packet, out);
            }
            if (len > toPacket) {
                b += update(a, off + toPacket, len - toPacket, br, b);
            }
            fed += len;
        }
        b += finish(br, b);
        final int stillForPacket = payloadOffset + split - out;
        EspLayout.expectOutput(b, stillForPacket + tailLength + tagLength, "gathering seal");
        System.arraycopy(br, 0, packet, out, stillForPacket);
        System.arraycopy(br, stillForPacket, tail, tailOffset, tailLength + tagLength);
    }

    /** Copies the pieces to where a transform whose output is its input (NULL, GMAC) puts them; see {@link EspTransform#sealGather}. */
    static void place(byte[] packet, int payloadOffset, int headLength, PayloadPieces pieces,
                      byte[] tail, int tailOffset, int tailLength) {
        final int split = headLength + pieces.length() - (tail == null ? 0 : tailLength);
        int at = headLength;
        for (int i = 0; i < pieces.count(); i++) {
            final byte[] a = pieces.array(i);
            final int off = pieces.offset(i);
            final int len = pieces.length(i);
            final int toPacket = Math.min(len, Math.max(0, split - at));
            if (toPacket > 0) {
                System.arraycopy(a, off, packet, payloadOffset + at, toPacket);
            }
            if (len > toPacket) {
                System.arraycopy(a, off + toPacket, tail, tailOffset + at + toPacket - split, len - toPacket);
            }
            at += len;
        }
    }

    /** On a JCA {@link Cipher}. */
    static final class Jca extends GatherCipher {
        private final Cipher cipher;
        private final int block;

        /** @param block the cipher's block (16 for AES modes, 1 for a stream cipher) */
        Jca(Cipher cipher, int block) {
            this.cipher = cipher;
            this.block = Math.max(block, 1);
        }

        @Override
        int update(byte[] in, int inOffset, int length, byte[] out, int outOffset) throws GeneralSecurityException {
            return cipher.update(in, inOffset, length, out, outOffset);
        }

        @Override
        int finish(byte[] out, int outOffset) throws GeneralSecurityException {
            return cipher.doFinal(out, outOffset);
        }

        @Override
        int maxHeldBack(int payloadLength) {
            return 2 * block;
        }
    }

    /** On a Bouncy Castle {@link AEADCipher} (GCM holds back under a block, CCM the whole message). */
    static final class Bc extends GatherCipher {
        private final AEADCipher aead;

        Bc(AEADCipher aead) {
            this.aead = aead;
        }

        @Override
        int update(byte[] in, int inOffset, int length, byte[] out, int outOffset) {
            return aead.processBytes(in, inOffset, length, out, outOffset);
        }

        @Override
        int finish(byte[] out, int outOffset) {
            try {
                return aead.doFinal(out, outOffset);
            } catch (InvalidCipherTextException e) {
                throw new IllegalStateException("seal failed", e);
            }
        }

        @Override
        int maxHeldBack(int payloadLength) {
            return payloadLength;
        }
    }
}
