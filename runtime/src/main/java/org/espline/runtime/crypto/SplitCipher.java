package org.espline.runtime.crypto;

import java.security.GeneralSecurityException;

import javax.crypto.Cipher;

/**
 * Encrypts, in place and with one initialised JCA cipher, an ESP payload split between the packet
 * (head) and a separate trailer fragment (tail), so the result is byte-identical to encrypting the
 * joined payload.
 *
 * <p>Block modes only emit whole blocks from {@code update}, so the head is fed up to its last block
 * boundary; the block straddling head and tail is assembled in a small bridge array and its output
 * copied back to both sides; the rest of the tail is finished in place, where {@code doFinal} also
 * writes the AEAD tag, if any, right after it, which is where the ICV belongs. Only the straddling
 * block (at most 16 bytes plus the tag) is copied: the fragment is never linearised.
 */
final class SplitCipher {
    /** Bytes a bridge array needs: one cipher block plus the longest tag. */
    static final int BRIDGE_LENGTH = 32;

    private SplitCipher() {
    }

    /**
     * @param block     bytes {@code update} consumes at a time without buffering (16 for AES modes, 1 for
     *                  a stream cipher)
     * @param tagLength bytes {@code doFinal} appends after the last ciphertext byte (0 for CBC)
     */
    static void encrypt(Cipher cipher, int block, byte[] head, int headOffset, int headLength,
                        byte[] tail, int tailOffset, int tailLength, int tagLength, byte[] bridge)
            throws GeneralSecurityException {
        int straddle = headLength % block;
        int aligned = headLength - straddle;
        if (aligned > 0) {
            EspLayout.expectOutput(cipher.update(head, headOffset, aligned, head, headOffset), aligned, "update");
        }
        if (straddle == 0) {
            EspLayout.expectOutput(cipher.doFinal(tail, tailOffset, tailLength, tail, tailOffset),
                    tailLength + tagLength, "doFinal");
            return;
        }
        int fromTail = Math.min(block - straddle, tailLength);
        int bridged = straddle + fromTail;
        System.arraycopy(head, headOffset + aligned, bridge, 0, straddle);
        System.arraycopy(tail, tailOffset, bridge, straddle, fromTail);
        if (bridged == block) {
            EspLayout.expectOutput(cipher.update(bridge, 0, block, bridge, 0), block, "update");
            System.arraycopy(bridge, 0, head, headOffset + aligned, straddle);
            System.arraycopy(bridge, straddle, tail, tailOffset, fromTail);
            int rest = tailLength - fromTail;
            EspLayout.expectOutput(cipher.doFinal(tail, tailOffset + fromTail, rest, tail, tailOffset + fromTail),
                    rest + tagLength, "doFinal");
        } else {
            // Head remainder and the whole tail are less than one block: finish in the bridge.
            EspLayout.expectOutput(cipher.doFinal(bridge, 0, bridged, bridge, 0), bridged + tagLength, "doFinal");
            System.arraycopy(bridge, 0, head, headOffset + aligned, straddle);
            System.arraycopy(bridge, straddle, tail, tailOffset, fromTail + tagLength);
        }
    }
}
