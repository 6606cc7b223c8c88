package org.espline.cli.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.espline.runtime.buffer.BufferPool;
import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.config.XfrmStateParser;
import org.espline.runtime.offload.InlineNic;
import org.espline.runtime.offload.OffloadCapabilities;
import org.espline.runtime.offload.OffloadEncryptStage;
import org.espline.runtime.offload.OffloadKind;
import org.espline.runtime.pipeline.GsoStage;
import org.espline.runtime.pipeline.PacketBatch;
import org.espline.runtime.pipeline.Stage;
import org.espline.runtime.sa.SaConfig;
import org.espline.runtime.sa.SecurityAssociation;
import org.espline.runtime.stats.XfrmCounter;
import org.espline.runtime.stats.XfrmStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scapy decrypts the simulated inline NIC's TSO output: TCP super-packets go whole to a NIC with TSO, which cuts
 * and seals them on its own threads; each ESP packet it emits must decrypt (scapy, through esp_interop.py's
 * {@code check}) to exactly the segment the software GSO stage cuts from the same super-packet, with the sequence
 * numbers one per segment from the SA's first. The cells cover AEAD and CBC+HMAC, IPv4 and IPv6, ESP-in-UDP, and ESN
 * with the sequence crossing a 2^32 boundary inside the first super-packet (the matrix's ESN cells start two below).
 */
class TsoScapyInteropTest {
    private static final int MSS = 1400;
    private static final int[] SIZES = {10_001, 2 * MSS, 60_000, 4321};
    private static final List<String> CELLS = List.of(
            "aes-gcm-128-icv16-tunnel-v4-esn-hi1",
            "aes-gcm-128-icv16-tunnel-v6-esn",
            "aes-cbc-128-sha1-tunnel-v4-esn",
            "chacha20-poly1305-tunnel-v4-udp-noesn",
            "aes-gcm-256-icv16-tunnel-v6-noesn");

    @TempDir
    static Path tempDir;

    @Test
    void scapyDecryptsTheNicsTsoSegments() throws Exception {
        Path python = ExternalTools.scapyPython();
        Path script = ExternalTools.interopScript();
        Path matrix = ExternalTools.workDir(tempDir, "tso-matrix");
        List<String> gen = new ArrayList<>(List.of(python.toString(), script.toString(), "gen", matrix.toString()));
        gen.addAll(CELLS);
        ExternalTools.Result g = ExternalTools.run(gen, null, Map.of());
        assertEquals(0, g.exitCode(), g::describe);

        for (String name : CELLS) {
            InteropCell cell = InteropCell.load(matrix.resolve(name));
            SaConfig cfg = new XfrmStateParser().parse(cell.sa()).stream()
                    .filter(c -> (c.spi() & 0xFFFF_FFFFL) == cell.spi()).findFirst().orElseThrow();
            boolean v6 = !cell.ipv4();
            List<byte[]> supers = new ArrayList<>();
            int tcpSeq = 5000;
            for (int i = 0; i < SIZES.length; i++) {
                supers.add(tcp(v6, SIZES[i], tcpSeq, 0x200 + i));
                tcpSeq += SIZES[i];
            }
            BufferPool pool = new BufferPool(400, 128, 65_600, 320, 4);
            // What each ESP packet must decrypt to: the software GSO stage's segments.
            List<byte[]> segments = run(new GsoStage(MSS, pool, new XfrmStats()), null, pool, supers, null);
            TinyPcap.write(cell.plain(), TinyPcap.LINKTYPE_RAW, segments);

            XfrmStats stats = new XfrmStats();
            SecurityAssociation sa = new SecurityAssociation(cfg);
            List<byte[]> esp;
            try (InlineNic nic = new InlineNic("nic0", OffloadKind.CRYPTO,
                    OffloadCapabilities.unlimited().withTso(true).withIpOptions(false), 2, 4)) {
                nic.addState(sa);
                OffloadEncryptStage encrypt = new OffloadEncryptStage(nic, stats, pool, MSS);
                esp = run(GsoStage.handingThrough(MSS, pool, stats), encrypt, pool, supers, sa);
                assertEquals(SIZES.length, encrypt.superPacketsToDevice(), name + ": every super-packet went whole to the NIC");
            }
            assertEquals(segments.size(), stats.get(XfrmCounter.EsplineOutDelivered), () -> name + ": " + stats);
            assertEquals(0, stats.totalDrops(), () -> name + ": " + stats);
            assertEquals(0, pool.outstanding(), name + ": buffers leaked");
            TinyPcap.write(cell.dir().resolve("tso-esp.pcap"), TinyPcap.LINKTYPE_RAW, esp);
        }

        List<String> check = new ArrayList<>(List.of(python.toString(), script.toString(), "check", matrix.toString(),
                "--esp-file", "tso-esp.pcap"));
        check.addAll(CELLS);
        ExternalTools.Result c = ExternalTools.run(check, null, Map.of());
        assertEquals(0, c.exitCode(), c::describe);
        for (String name : CELLS) {
            assertTrue(c.stdout().contains("PASS " + name + " ("), () -> name + ":\n" + c.describe());
        }
    }

    /** Feeds {@code packets} through {@code first} and then {@code second} (if any) to completion; the output bytes. */
    private static List<byte[]> run(Stage first, Stage second, BufferPool pool, List<byte[]> packets, SecurityAssociation sa) {
        PacketBatch in = new PacketBatch(4 * 47);
        PacketBatch mid = new PacketBatch(4 * 47);
        PacketBatch out = new PacketBatch(4 * 47);
        List<byte[]> result = new ArrayList<>();
        int next = 0;
        long spins = 0;
        while (next < packets.size() || (second != null && second.inFlight() > 0)) {
            if (second == null || second.acceptsInput()) {
                while (next < packets.size() && in.size() < 4) {
                    byte[] bytes = packets.get(next++);
                    PacketBuffer b = pool.acquire();
                    System.arraycopy(bytes, 0, b.array(), b.put(bytes.length), bytes.length);
                    b.securityAssociation(sa);
                    in.add(b);
                }
            }
            first.process(in, second == null ? out : mid);
            in.clear();
            if (second != null) {
                second.process(mid, out);
                mid.clear();
            }
            for (int i = 0; i < out.size(); i++) {
                result.add(out.get(i).toByteArray());
                out.get(i).release();
            }
            out.clear();
            if (++spins > 20_000_000L) {
                throw new AssertionError("did not drain");
            }
            Thread.onSpinWait();
        }
        return result;
    }

    /** A TCP packet (ACK|PSH, timestamps) of {@code payload} bytes, 10.1.0.5 -> 10.2.0.9 or IPv6; checksums left to GSO. */
    private static byte[] tcp(boolean v6, int payload, int tcpSeq, int id) {
        final int ipl = v6 ? 40 : 20;
        final int thl = 32;
        ByteBuffer b = ByteBuffer.allocate(ipl + thl + payload);
        if (v6) {
            b.putInt(0x6000_0000).putShort((short) (thl + payload)).put((byte) 6).put((byte) 64);
            b.put(new byte[] {0x20, 0x01, 0x0d, (byte) 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5});
            b.put(new byte[] {0x20, 0x01, 0x0d, (byte) 0xb8, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9});
        } else {
            b.put((byte) 0x45).put((byte) 0).putShort((short) (ipl + thl + payload));
            b.putShort((short) id).putShort((short) 0x4000).put((byte) 64).put((byte) 6).putShort((short) 0);
            b.put(new byte[] {10, 1, 0, 5}).put(new byte[] {10, 2, 0, 9});
        }
        b.putShort((short) 40000).putShort((short) 5001).putInt(tcpSeq).putInt(777);
        b.put((byte) ((thl / 4) << 4)).put((byte) 0x18).putShort((short) 501).putShort((short) 0).putShort((short) 0);
        b.put(new byte[] {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2});
        for (int i = 0; i < payload; i++) {
            b.put((byte) (i * 5 + (i >>> 8) * 11 + id));
        }
        return b.array();
    }
}
