package org.espline.runtime.esp;

import static org.espline.runtime.esp.EspTestPackets.cbcSha256;
import static org.espline.runtime.esp.EspTestPackets.gcm;
import static org.espline.runtime.esp.EspTestPackets.natT;
import static org.espline.runtime.esp.EspTestPackets.udp4;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

import org.espline.runtime.buffer.BufferPool;
import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.crypto.EspTransform;
import org.espline.runtime.sa.Lifetime;
import org.espline.runtime.sa.SaConfig;
import org.espline.runtime.sa.SaDatabase;
import org.espline.runtime.sa.SaMode;
import org.espline.runtime.sa.SecurityAssociation;
import org.espline.runtime.stats.XfrmCounter;
import org.espline.runtime.stats.XfrmStats;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * One test per inbound drop reason: the malformed packet ends under exactly one counter, named as in
 * Linux's /proc/net/xfrm_stat, nothing else moves, and the pool balances.
 */
class EspInputDropTest {
    private final BufferPool pool = new BufferPool(8, 128, 2048, 320, 1);
    private final XfrmStats stats = new XfrmStats();
    private SaConfig cfg = gcm(false, SaMode.TUNNEL).build();
    private SecurityAssociation tx = new SecurityAssociation(cfg);
    private SaDatabase sad = sadWith(cfg);

    private static SaDatabase sadWith(SaConfig c) {
        SaDatabase d = new SaDatabase();
        d.put(new SecurityAssociation(c));
        return d;
    }

    private void use(SaConfig c) {
        cfg = c;
        tx = new SecurityAssociation(c);
        sad = sadWith(c);
    }

    @AfterEach
    void poolBalances() {
        assertEquals(0, pool.outstanding(), "every buffer released");
    }

    private byte[] encrypt(byte[] plain) {
        PacketBuffer b = pool.acquire();
        System.arraycopy(plain, 0, b.array(), b.put(plain.length), plain.length);
        assertEquals(XfrmCounter.EsplineOutDelivered, new EspOutput(new XfrmStats()).encapsulate(b, tx));
        byte[] w = b.toByteArray();
        b.release();
        return w;
    }

    /** Runs one packet through input and asserts it ended under {@code expected} and nothing else. */
    private void assertOutcome(XfrmCounter expected, byte[] wire) {
        EspInput in = new EspInput(sad, stats);
        long before = sum();
        long beforeExpected = stats.get(expected);
        PacketBuffer b = pool.acquire();
        System.arraycopy(wire, 0, b.array(), b.put(wire.length), wire.length);
        assertSame(expected, in.decapsulate(b));
        b.release();
        assertEquals(beforeExpected + 1, stats.get(expected), expected + " counted once: " + stats);
        assertEquals(before + 1, sum(), "exactly one counter moved: " + stats);
    }

    private long sum() {
        return stats.snapshot().values().stream().mapToLong(Long::longValue).sum();
    }

    @Test
    void wrongIcvIsAProtoError() {
        byte[] w = encrypt(udp4(100, 1));
        w[w.length - 1] ^= 1;
        assertOutcome(XfrmCounter.XfrmInStateProtoError, w);
    }

    @Test
    void flippedCiphertextBitIsAProtoError() {
        byte[] w = encrypt(udp4(100, 1));
        w[60] ^= 0x40;
        assertOutcome(XfrmCounter.XfrmInStateProtoError, w);
    }

    @Test
    void packetTooShortForAnEspHeaderIsAHeaderError() {
        byte[] w = Arrays.copyOf(encrypt(udp4(100, 1)), 20 + 6);
        w[2] = 0;
        w[3] = 26;
        assertOutcome(XfrmCounter.XfrmInHdrError, w);
    }

    @Test
    void outerLengthBeyondTheCaptureIsAHeaderError() {
        byte[] w = encrypt(udp4(100, 1));
        w = Arrays.copyOf(w, w.length - 10);
        assertOutcome(XfrmCounter.XfrmInHdrError, w);
    }

    @Test
    void espPayloadCutShortIsAProtoError() {
        byte[] w = Arrays.copyOf(encrypt(udp4(100, 1)), 20 + 8 + 8 + 10);
        w[2] = 0;
        w[3] = (byte) w.length;
        assertOutcome(XfrmCounter.XfrmInStateProtoError, w);
    }

    @Test
    void unknownSpiIsNoStates() {
        byte[] w = encrypt(udp4(100, 1));
        w[20] ^= 0x11;
        assertOutcome(XfrmCounter.XfrmInNoStates, w);
    }

    @Test
    void knownSpiForAnotherDestinationIsNoStates() {
        byte[] w = encrypt(udp4(100, 1));
        w[19] ^= 1;
        fixIpv4Checksum(w);
        assertOutcome(XfrmCounter.XfrmInNoStates, w);
    }

    @Test
    void replayedPacketIsASeqError() {
        byte[] w = encrypt(udp4(100, 1));
        assertOutcome(XfrmCounter.EsplineInDelivered, w);
        assertOutcome(XfrmCounter.XfrmInStateSeqError, w);
    }

    @Test
    void packetLeftOfTheWindowIsASeqError() {
        byte[] old = encrypt(udp4(100, 1));
        byte[] newer = null;
        for (int i = 0; i < 64; i++) {
            newer = encrypt(udp4(10, i));
        }
        assertOutcome(XfrmCounter.EsplineInDelivered, newer);
        assertOutcome(XfrmCounter.XfrmInStateSeqError, old);
    }

    @Test
    void badPaddingIsAProtoError() {
        assertOutcome(XfrmCounter.XfrmInStateProtoError, handMadeEsp(udp4(13, 2), 4, 8, 4));
    }

    @Test
    void badNextHeaderInTunnelModeIsAModeError() {
        assertOutcome(XfrmCounter.XfrmInStateModeError, handMadeEsp(udp4(13, 2), 6, 0, -1));
    }

    @Test
    void innerPacketLongerThanThePayloadIsAModeError() {
        byte[] inner = udp4(13, 2);
        inner[3] += 8;
        assertOutcome(XfrmCounter.XfrmInStateModeError, handMadeEsp(inner, 4, 0, -1));
    }

    @Test
    void tfcDummyPacketIsDiscardedAndCounted() {
        assertOutcome(XfrmCounter.EsplineInTfcDummy, handMadeEsp(new byte[40], 59, 0, -1));
    }

    @Test
    void espInUdpForAPlainEspStateIsAMismatch() {
        use(gcm(false, SaMode.TUNNEL).encapsulation(natT()).build());
        byte[] w = encrypt(udp4(50, 3));
        use(gcm(false, SaMode.TUNNEL).build());
        assertOutcome(XfrmCounter.XfrmInStateMismatch, w);
    }

    @Test
    void expiredStateDropsAsExpired() {
        use(gcm(false, SaMode.TUNNEL).hardLifetime(Lifetime.UNLIMITED.withPackets(2)).build());
        tx = new SecurityAssociation(gcm(false, SaMode.TUNNEL).build());
        assertOutcome(XfrmCounter.EsplineInDelivered, encrypt(udp4(5, 1)));
        assertOutcome(XfrmCounter.EsplineInDelivered, encrypt(udp4(5, 2)));
        assertOutcome(XfrmCounter.XfrmInStateExpired, encrypt(udp4(5, 3)));
    }

    @Test
    void natKeepaliveIsIgnoredAndCounted() {
        byte[] w = udp4(1, 0);
        w[20] = 0x11;
        w[21] = (byte) 0x94;
        w[22] = 0x11;
        w[23] = (byte) 0x94;
        w[28] = (byte) 0xFF;
        assertOutcome(XfrmCounter.EsplineNatKeepalive, w);
    }

    @Test
    void ikeBehindTheNonEspMarkerGoesToTheHandler() {
        byte[] w = udp4(40, 0);
        w[22] = 0x11;
        w[23] = (byte) 0x94;
        w[28] = w[29] = w[30] = w[31] = 0;
        AtomicInteger seen = new AtomicInteger();
        EspInput in = new EspInput(sad, stats);
        in.ikeHandler((p, off, len) -> seen.set(len));
        PacketBuffer b = pool.acquire();
        System.arraycopy(w, 0, b.array(), b.put(w.length), w.length);
        assertSame(XfrmCounter.EsplineIkeHandedOff, in.decapsulate(b));
        b.release();
        assertEquals(36, seen.get(), "IKE message without the 4-byte marker");
    }

    @Test
    void otherTrafficIsSkippedNotDropped() {
        assertOutcome(XfrmCounter.EsplineSkippedNotEsp, udp4(40, 0));
        assertEquals(0, stats.totalDrops());
    }

    @Test
    void hmacFailureIsAProtoErrorToo() {
        use(cbcSha256(false, SaMode.TRANSPORT).build());
        byte[] w = encrypt(udp4(100, 1));
        w[w.length - 3] ^= 0x20;
        assertOutcome(XfrmCounter.XfrmInStateProtoError, w);
    }

    @Test
    void outboundCounterRefusesToWrap() {
        use(gcm(false, SaMode.TUNNEL).outboundSequence(0xFFFF_FFFEL).build());
        XfrmStats out = new XfrmStats();
        EspOutput o = new EspOutput(out);
        PacketBuffer b = pool.acquire();
        byte[] p = udp4(10, 1);
        System.arraycopy(p, 0, b.array(), b.put(p.length), p.length);
        assertSame(XfrmCounter.EsplineOutDelivered, o.encapsulate(b, tx));
        assertEquals(0xFFFF_FFFFL, b.sequenceNumber());
        b.release();
        b = pool.acquire();
        System.arraycopy(p, 0, b.array(), b.put(p.length), p.length);
        assertSame(XfrmCounter.XfrmOutStateSeqError, o.encapsulate(b, tx));
        b.release();
        assertEquals(1, out.get(XfrmCounter.XfrmOutStateSeqError));
    }

    /**
     * An ESP packet built by hand around {@code inner}, sealed with the SA's real transform, with a
     * chosen next header and optionally one wrong padding byte — what a broken peer would send.
     */
    private byte[] handMadeEsp(byte[] inner, int nextHeader, int extraPad, int corruptPadIndex) {
        EspTransform t = tx.transform();
        int block = Math.max(4, t.blockSize());
        int padLen = Math.floorMod(-(inner.length + 2), block) + extraPad;
        int payload = inner.length + padLen + 2;
        int esp = 20;
        byte[] w = new byte[esp + 8 + t.ivLength() + payload + t.icvLength()];
        w[0] = 0x45;
        w[2] = (byte) (w.length >>> 8);
        w[3] = (byte) w.length;
        w[8] = 64;
        w[9] = 50;
        System.arraycopy(cfg.source().getAddress(), 0, w, 12, 4);
        System.arraycopy(cfg.destination().getAddress(), 0, w, 16, 4);
        fixIpv4Checksum(w);
        long seq = tx.nextOutboundSequence();
        w[esp] = (byte) (cfg.spi() >>> 24);
        w[esp + 1] = (byte) (cfg.spi() >>> 16);
        w[esp + 2] = (byte) (cfg.spi() >>> 8);
        w[esp + 3] = (byte) cfg.spi();
        w[esp + 7] = (byte) seq;
        int p = esp + 8 + t.ivLength();
        System.arraycopy(inner, 0, w, p, inner.length);
        p += inner.length;
        for (int i = 1; i <= padLen; i++) {
            w[p++] = (byte) (i == corruptPadIndex ? 0x77 : i);
        }
        w[p++] = (byte) padLen;
        w[p] = (byte) nextHeader;
        t.seal(w, esp, payload, seq);
        return w;
    }

    private static void fixIpv4Checksum(byte[] w) {
        w[10] = 0;
        w[11] = 0;
        int c = org.espline.runtime.header.InternetChecksum.checksum(w, 0, 20);
        w[10] = (byte) (c >>> 8);
        w[11] = (byte) c;
    }
}
