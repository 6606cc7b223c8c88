package org.espline.runtime.crypto;

import static org.espline.runtime.crypto.EspTestSupport.CANARY;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;

import org.espline.runtime.sa.SaConfig;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link EspTransform#sealGather}: the payload's plaintext split into a head in the packet and pieces of
 * odd sizes elsewhere, sealed out of place, gives the bytes {@link EspTransform#seal} gives for the same
 * payload laid out linearly, in the linear and in the trailer-fragment form (the tail split anywhere inside
 * the pieces), for every algorithm; the pieces are never written, nothing outside the ESP packet is either,
 * and the result opens.
 */
class GatherSealTest {
    private static final int LEAD = 20;

    static Stream<EspTestSupport.Suite> suites() {
        return EspTestSupport.allSuites().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("suites")
    void gatheringSealIsByteIdenticalToTheLinearSeal(EspTestSupport.Suite suite) {
        Random rnd = new Random(suite.toString().hashCode());
        for (int round = 0; round < 40; round++) {
            boolean esn = (round & 1) == 1;
            SaConfig cfg = suite.config(new Random(round), esn, 0x2000 + round);
            EspTransform linear = EspTransforms.create(cfg);
            EspTransform gathering = EspTransforms.create(cfg);
            EspTransform opener = EspTransforms.create(cfg);
            int iv = linear.ivLength();
            int icv = linear.icvLength();
            int align = linear.blockSize();
            int payloadLength = align * (1 + rnd.nextInt(round < 20 ? 8 : 120));
            byte[] payload = EspTestSupport.random(rnd, payloadLength);
            long seq = esn ? 0x1_0000_0000L + round : round + 1;

            // Reference: the linear seal.
            byte[] ref = EspTestSupport.linearPacket(LEAD, cfg.spi(), seq, iv, payload, icv, 7);
            linear.seal(ref, LEAD, payloadLength, seq);

            // Head in the packet, the rest in pieces of random sizes (some 1 byte, some spanning blocks).
            int head = rnd.nextInt(payloadLength + 1);
            byte[] source = new byte[payloadLength + 64];
            Arrays.fill(source, (byte) 0x5A);
            System.arraycopy(payload, 0, source, 32, payloadLength);
            byte[] sourceBefore = source.clone();
            PayloadPieces pieces = new PayloadPieces();
            int at = head;
            while (at < payloadLength) {
                int n = Math.min(payloadLength - at, rnd.nextInt(4) == 0 ? 1 + rnd.nextInt(3) : 1 + rnd.nextInt(70));
                pieces.add(source, 32 + at, n);
                at += n;
            }
            byte[] out = new byte[ref.length];
            Arrays.fill(out, CANARY);
            System.arraycopy(ref, LEAD, out, LEAD, 8);
            System.arraycopy(payload, 0, out, LEAD + 8 + iv, head);
            boolean withTail = rnd.nextBoolean() && payloadLength > head;
            if (!withTail) {
                gathering.sealGather(out, LEAD, head, pieces, null, 0, 0, seq);
                assertArrayEquals(ref, out, suite + " round " + round + " head " + head + " " + pieces);
            } else {
                // Any split is legal: only the whole payload must be aligned.
                int tailLength = 1 + rnd.nextInt(payloadLength - head);
                int split = payloadLength - tailLength;
                byte[] packet = Arrays.copyOf(out, LEAD + 8 + iv + split);
                byte[] tail = new byte[3 + tailLength + icv + 5];
                Arrays.fill(tail, CANARY);
                gathering.sealGather(packet, LEAD, head, pieces, tail, 3, tailLength, seq);
                byte[] joined = new byte[ref.length];
                Arrays.fill(joined, CANARY);
                System.arraycopy(packet, 0, joined, 0, packet.length);
                System.arraycopy(tail, 3, joined, packet.length, tailLength + icv);
                assertArrayEquals(ref, joined, suite + " round " + round + " head " + head + " tail " + tailLength + " " + pieces);
                for (int i : new int[] {0, 1, 2, tail.length - 5, tail.length - 1}) {
                    assertTrue(tail[i] == CANARY, "tail canary " + i);
                }
            }
            assertArrayEquals(sourceBefore, source, "pieces are read, never written");
            assertTrue(opener.open(ref, LEAD, payloadLength, seq), "opens");
        }
    }
}
