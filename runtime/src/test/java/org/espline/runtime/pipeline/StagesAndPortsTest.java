package org.espline.runtime.pipeline;

import static org.espline.runtime.pipeline.SiteToSite.host;
import static org.espline.runtime.pipeline.SiteToSite.packet;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.espline.runtime.buffer.BufferPool;
import org.espline.runtime.header.InternetChecksum;
import org.espline.runtime.header.IpProtocols;
import org.espline.runtime.pcap.PcapLinkType;
import org.espline.runtime.pcap.PcapReader;
import org.espline.runtime.pcap.PcapRecord;
import org.espline.runtime.pcap.PcapWriter;
import org.espline.runtime.port.CollectingPort;
import org.espline.runtime.port.MemorySourcePort;
import org.espline.runtime.port.PcapSinkPort;
import org.espline.runtime.port.PcapSourcePort;
import org.espline.runtime.sa.PolicyAction;
import org.espline.runtime.sa.PolicyDatabase;
import org.espline.runtime.stats.XfrmCounter;
import org.espline.runtime.stats.XfrmStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Single stages and the pcap ports: a drop test per counter, and the pool balances after each. */
class StagesAndPortsTest {

    @Test
    void pcapInChecksumPcapOutRepairsChecksums(@TempDir Path dir) throws IOException {
        List<byte[]> good = new ArrayList<>();
        for (boolean v6 : new boolean[] {false, true}) {
            for (int proto : SiteToSite.PROTOCOLS) {
                for (int size : new int[] {1, 100, 1400}) {
                    good.add(packet(v6, proto, size, host(v6, true, 1), host(v6, false, 2), 1234, 80, size + proto));
                }
            }
        }
        Path in = dir.resolve("in.pcap");
        Path out = dir.resolve("out.pcap");
        try (PcapWriter w = new PcapWriter(in, PcapLinkType.RAW)) {
            for (byte[] p : good) {
                byte[] broken = p.clone();
                // Corrupt the checksum field itself, so only a recomputation can restore the original bytes.
                int hl = (broken[0] >>> 4) == 6 ? 40 : 20;
                int proto = (broken[0] >>> 4) == 6 ? broken[6] : broken[9];
                int field = hl + (proto == IpProtocols.TCP ? 16 : proto == IpProtocols.UDP ? 6 : 2);
                broken[field] ^= 0x5A;
                w.write(broken, 0, broken.length, 1_700_000_000L, 0);
            }
            w.write(new byte[] {0x70, 1, 2}, 0, 3, 1_700_000_000L, 0); // not IP: skipped by the source
        }
        BufferPool pool = new BufferPool(4, 64, 1500, 64, 1);
        XfrmStats stats = new XfrmStats();
        try (PcapReader reader = new PcapReader(in); PcapWriter writer = new PcapWriter(out, PcapLinkType.RAW)) {
            PcapSourcePort source = new PcapSourcePort(reader, pool);
            Pipeline p = new Pipeline(source,
                    new Stage[] {new ChecksumStage(stats, XfrmCounter.XfrmOutBundleGenError)},
                    new PcapSinkPort(writer), 3);
            assertEquals(good.size(), p.run(Long.MAX_VALUE));
            assertEquals(good.size(), p.delivered());
            assertEquals(1, source.skipped());
        }
        List<byte[]> written = new ArrayList<>();
        try (PcapReader r = new PcapReader(out)) {
            PcapRecord rec = new PcapRecord();
            while (r.next(rec)) {
                written.add(rec.copyIpPacket());
            }
        }
        assertEquals(good.size(), written.size());
        for (int i = 0; i < good.size(); i++) {
            assertArrayEquals(good.get(i), written.get(i), "packet " + i);
            assertEquals(InternetChecksum.Status.VALID,
                    InternetChecksum.verifyTransportChecksum(written.get(i), 0, written.get(i).length));
        }
        assertEquals(0, stats.totalDrops());
        assertEquals(0, pool.outstanding());
        assertTrue(Files.size(out) > 0);
    }

    @Test
    void checksumStageDropsInconsistentLengths() {
        byte[] p = packet(false, IpProtocols.UDP, 50, host(false, true, 1), host(false, false, 2), 1, 2, 3);
        p[20 + 4] = (byte) 0xFF; // UDP length past the packet
        XfrmStats stats = new XfrmStats();
        BufferPool pool = new BufferPool(2, 0, 1500, 0, 0);
        CollectingPort sink = new CollectingPort();
        new Pipeline(new MemorySourcePort(pool, List.of(p)),
                new Stage[] {new ChecksumStage(stats, XfrmCounter.XfrmInHdrError)}, sink, 4).run(Long.MAX_VALUE);
        assertEquals(1, stats.get(XfrmCounter.XfrmInHdrError));
        assertEquals(1, stats.totalDrops());
        assertEquals(0, sink.packets().size());
        assertEquals(0, pool.outstanding());
    }

    @Test
    void classifyDropsWhatIsNotIp() {
        List<byte[]> junk = List.of(new byte[] {0x45, 0, 0}, new byte[] {0x60, 0, 0, 0}, new byte[] {0x20, 1, 2, 3},
                new byte[] {0x4F, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 10, 1, 0, 1, 10, 2, 0, 2});
        XfrmStats stats = new XfrmStats();
        BufferPool pool = new BufferPool(4, 0, 100, 0, 0);
        CollectingPort sink = new CollectingPort();
        Pipeline p = new Pipeline(new MemorySourcePort(pool, junk),
                new Stage[] {new ClassifyStage(new PolicyDatabase(PolicyAction.BYPASS), stats)}, sink, 2);
        assertEquals(junk.size(), p.run(Long.MAX_VALUE));
        assertEquals(junk.size(), stats.get(XfrmCounter.XfrmOutBundleGenError));
        assertEquals(junk.size(), stats.totalDrops());
        assertEquals(0, pool.outstanding());
    }

    @Test
    void defaultBypassPassesUnchangedAndEncryptLeavesItAlone() {
        byte[] p = packet(true, IpProtocols.TCP, 300, host(true, true, 1), host(true, false, 2), 1, 2, 3);
        XfrmStats stats = new XfrmStats();
        BufferPool pool = new BufferPool(2, 128, 1500, 320, 1);
        CollectingPort sink = new CollectingPort();
        new Pipeline(new MemorySourcePort(pool, List.of(p)),
                new Stage[] {new ClassifyStage(new PolicyDatabase(PolicyAction.BYPASS), stats), new EncryptStage(stats)},
                sink, 4).run(Long.MAX_VALUE);
        assertEquals(1, stats.get(XfrmCounter.EsplineBypass));
        assertEquals(0, stats.get(XfrmCounter.EsplineOutDelivered));
        assertArrayEquals(p, sink.packets().get(0));
        assertEquals(0, pool.outstanding());
    }

    @Test
    void encryptWithoutSaOrBypassIsNoStates() {
        byte[] p = packet(false, IpProtocols.UDP, 10, host(false, true, 1), host(false, false, 2), 1, 2, 3);
        XfrmStats stats = new XfrmStats();
        BufferPool pool = new BufferPool(2, 128, 1500, 320, 1);
        CollectingPort sink = new CollectingPort();
        new Pipeline(new MemorySourcePort(pool, List.of(p)), new Stage[] {new EncryptStage(stats)}, sink, 4)
                .run(Long.MAX_VALUE);
        assertEquals(1, stats.get(XfrmCounter.XfrmOutNoStates));
        assertEquals(1, stats.totalDrops());
        assertEquals(0, pool.outstanding());
    }

    @Test
    void failingTapCountsAndPasses() {
        byte[] p = packet(false, IpProtocols.UDP, 10, host(false, true, 1), host(false, false, 2), 1, 2, 3);
        BufferPool pool = new BufferPool(2, 0, 1500, 0, 0);
        TapStage tap = new TapStage(packet -> {
            throw new IOException("disk full");
        });
        CollectingPort sink = new CollectingPort();
        new Pipeline(new MemorySourcePort(pool, List.of(p, p)), new Stage[] {tap}, sink, 1).run(Long.MAX_VALUE);
        assertEquals(2, tap.errors());
        assertEquals(0, tap.records());
        assertEquals(2, sink.packets().size());
        assertEquals(0, pool.outstanding());
    }
}
