package org.espline.runtime.pipeline;

import static org.espline.runtime.pipeline.SiteToSite.aToB;
import static org.espline.runtime.pipeline.SiteToSite.bToA;
import static org.espline.runtime.pipeline.SiteToSite.host;
import static org.espline.runtime.pipeline.SiteToSite.packet;
import static org.espline.runtime.pipeline.SiteToSite.site;
import static org.espline.runtime.pipeline.SiteToSite.sitePrefix;
import static org.espline.runtime.pipeline.SiteToSite.traffic;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.espline.runtime.buffer.BufferPool;
import org.espline.runtime.header.IpProtocols;
import org.espline.runtime.pcap.PcapLinkType;
import org.espline.runtime.pcap.PcapReader;
import org.espline.runtime.pcap.PcapRecord;
import org.espline.runtime.pcap.PcapWriter;
import org.espline.runtime.port.CollectingPort;
import org.espline.runtime.port.MemoryLink;
import org.espline.runtime.port.MemorySourcePort;
import org.espline.runtime.port.PcapPacketWriter;
import org.espline.runtime.sa.Policy;
import org.espline.runtime.sa.PolicyAction;
import org.espline.runtime.sa.PolicyDatabase;
import org.espline.runtime.sa.SaConfig;
import org.espline.runtime.sa.SaDatabase;
import org.espline.runtime.sa.SecurityAssociation;
import org.espline.runtime.sa.Selector;
import org.espline.runtime.stats.XfrmCounter;
import org.espline.runtime.stats.XfrmStats;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A tx pipeline (memory source, classify, tap, encrypt, tap, link) feeding an rx pipeline (link,
 * decrypt, collect) across the site-to-site SAs, for IPv4 and IPv6 inner traffic in both directions
 * and several batch sizes: every byte arrives, in order; the taps see clear and ESP packets; the
 * accounting balances and the pool gets every buffer back.
 */
class PipelineRoundTripTest {

    static Stream<Arguments> setups() {
        List<Arguments> l = new ArrayList<>();
        for (boolean v6 : new boolean[] {false, true}) {
            for (boolean fromA : new boolean[] {true, false}) {
                for (int batch : new int[] {1, 32, 256}) {
                    l.add(Arguments.of(v6, fromA, batch));
                }
            }
        }
        return l.stream();
    }

    /** Both gateways' state for one direction. */
    static final class Link {
        final XfrmStats txStats = new XfrmStats();
        final XfrmStats rxStats = new XfrmStats();
        final PolicyDatabase spd;
        final SaDatabase sad = new SaDatabase();
        final SecurityAssociation txSa;

        Link(boolean v6, boolean fromA, PolicyAction defaultAction) {
            SaConfig cfg = fromA ? aToB(v6) : bToA(v6);
            txSa = new SecurityAssociation(cfg);
            sad.put(new SecurityAssociation(cfg));
            spd = new PolicyDatabase(defaultAction);
        }

        void protectSites(boolean v6, boolean fromA) {
            spd.add(new Policy(Selector.between(site(v6, fromA), sitePrefix(v6), site(v6, !fromA), sitePrefix(v6)),
                    PolicyAction.PROTECT, txSa));
        }
    }

    @ParameterizedTest(name = "v6={0} fromA={1} batch={2}")
    @MethodSource("setups")
    void everyByteArrivesAndEverythingIsAccountedFor(boolean v6, boolean fromA, int batch) throws IOException {
        Link link = new Link(v6, fromA, PolicyAction.DISCARD);
        link.protectSites(v6, fromA);
        List<byte[]> sent = traffic(v6, fromA, 6);
        // Fewer buffers than packets, and a wire shorter than a batch: both ends must apply back-pressure.
        BufferPool pool = new BufferPool(300, 128, 1500, 320, 2);
        MemoryLink wire = new MemoryLink(64);
        ByteArrayOutputStream clearPcap = new ByteArrayOutputStream();
        ByteArrayOutputStream espPcap = new ByteArrayOutputStream();
        PcapWriter clearWriter = new PcapWriter(clearPcap, PcapLinkType.RAW);
        PcapWriter espWriter = new PcapWriter(espPcap, PcapLinkType.RAW);
        TapStage clearTap = new TapStage(new PcapPacketWriter(clearWriter));
        TapStage espTap = new TapStage(new PcapPacketWriter(espWriter));
        Pipeline tx = new Pipeline(new MemorySourcePort(pool, sent),
                new Stage[] {new ClassifyStage(link.spd, link.txStats), clearTap, new EncryptStage(link.txStats), espTap},
                wire, batch);
        DecryptStage decrypt = new DecryptStage(link.sad, link.rxStats, false);
        CollectingPort received = new CollectingPort();
        Pipeline rx = new Pipeline(wire, new Stage[] {decrypt}, received, batch);

        drive(tx, rx);

        assertEquals(sent.size(), received.packets().size());
        for (int i = 0; i < sent.size(); i++) {
            assertArrayEquals(sent.get(i), received.packets().get(i), "packet " + i);
        }
        assertEquals(sent.size(), tx.received());
        assertEquals(tx.received(), tx.delivered() + link.txStats.totalDrops());
        assertEquals(rx.received(), rx.delivered() + link.rxStats.totalDrops() + decrypt.consumed());
        assertEquals(sent.size(), link.txStats.get(XfrmCounter.EsplineOutDelivered));
        assertEquals(sent.size(), link.rxStats.get(XfrmCounter.EsplineInDelivered));
        assertEquals(0, pool.outstanding());
        assertTrue(received.isFinished());

        assertEquals(sent.size(), clearTap.records());
        assertEquals(sent.size(), espTap.records());
        clearWriter.close();
        espWriter.close();
        List<byte[]> clear = readPcap(clearPcap);
        List<byte[]> esp = readPcap(espPcap);
        assertArrayEquals(sent.get(0), clear.get(0));
        int outerProto = v6 ? esp.get(0)[6] : esp.get(0)[9];
        assertEquals(v6 ? IpProtocols.ESP : (fromA ? IpProtocols.UDP : IpProtocols.ESP), outerProto);
        assertEquals(sent.size(), esp.size());
    }

    @ParameterizedTest(name = "v6={0} passClear={1}")
    @MethodSource("policyCases")
    void bypassDiscardAndDefaultAreCountedOnce(boolean v6, boolean passClear) {
        Link link = new Link(v6, true, PolicyAction.DISCARD);
        // First match wins: UDP to port 9 is discarded, ICMP goes in the clear, the rest of site to site is protected.
        link.spd.add(new Policy(new Selector(site(v6, true), sitePrefix(v6), site(v6, false), sitePrefix(v6),
                IpProtocols.UDP, 0, 0xFFFF, 9, 9), PolicyAction.DISCARD, null));
        link.spd.add(new Policy(new Selector(site(v6, true), sitePrefix(v6), site(v6, false), sitePrefix(v6),
                v6 ? IpProtocols.ICMPV6 : IpProtocols.ICMP, 0, 0xFFFF, 0, 0xFFFF), PolicyAction.BYPASS, null));
        link.protectSites(v6, true);

        List<byte[]> sent = new ArrayList<>();
        List<byte[]> expected = new ArrayList<>();
        int discarded = 0;
        int bypassed = 0;
        int unmatched = 0;
        for (int i = 0; i < 40; i++) {
            byte[] p;
            switch (i % 5) {
                case 0:
                    p = packet(v6, IpProtocols.UDP, 10 + i, host(v6, true, 1), host(v6, false, 2), 5000, 9, i);
                    discarded++;
                    break;
                case 1:
                    p = packet(v6, IpProtocols.ICMP, 10 + i, host(v6, true, 1), host(v6, false, 2), 0, 0, i);
                    bypassed++;
                    if (passClear) {
                        expected.add(p);
                    }
                    break;
                case 2:
                    // Outside both sites: no policy, default discard.
                    p = packet(v6, IpProtocols.TCP, 10 + i, host(v6, true, 1),
                            SiteToSite.addr(v6 ? "2001:db8:3::1" : "10.3.0.1"), 5000, 80, i);
                    unmatched++;
                    break;
                default:
                    p = packet(v6, IpProtocols.TCP, 10 + i, host(v6, true, 1), host(v6, false, 2), 5000, 80, i);
                    expected.add(p);
                    break;
            }
            sent.add(p);
        }
        BufferPool pool = new BufferPool(64, 128, 1500, 320, 2);
        MemoryLink wire = new MemoryLink(16);
        Pipeline tx = new Pipeline(new MemorySourcePort(pool, sent),
                new Stage[] {new ClassifyStage(link.spd, link.txStats), new EncryptStage(link.txStats)}, wire, 8);
        DecryptStage decrypt = new DecryptStage(link.sad, link.rxStats, passClear);
        CollectingPort received = new CollectingPort();
        Pipeline rx = new Pipeline(wire, new Stage[] {decrypt}, received, 8);

        drive(tx, rx);

        assertEquals(discarded, link.txStats.get(XfrmCounter.XfrmOutPolBlock));
        assertEquals(unmatched, link.txStats.get(XfrmCounter.XfrmOutNoPols));
        assertEquals(bypassed, link.txStats.get(XfrmCounter.EsplineBypass));
        assertEquals(discarded + unmatched, link.txStats.totalDrops());
        assertEquals(bypassed, link.rxStats.get(XfrmCounter.EsplineSkippedNotEsp));
        assertEquals(passClear ? 0 : bypassed, decrypt.consumed());
        assertEquals(expected.size(), received.packets().size());
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i), received.packets().get(i), "packet " + i);
        }
        assertEquals(tx.received(), tx.delivered() + link.txStats.totalDrops());
        assertEquals(rx.received(), rx.delivered() + link.rxStats.totalDrops() + decrypt.consumed());
        assertEquals(0, pool.outstanding());
    }

    static Stream<Arguments> policyCases() {
        return Stream.of(Arguments.of(false, false), Arguments.of(false, true), Arguments.of(true, false), Arguments.of(true, true));
    }

    /** Alternates the two pipelines on this thread until both are done. */
    static void drive(Pipeline tx, Pipeline rx) {
        int idle = 0;
        while (!tx.isFinished() || !rx.isFinished()) {
            int a = tx.runOnce();
            int b = rx.runOnce();
            idle = a > 0 || b > 0 ? 0 : idle + 1;
            if (idle > 1000) {
                throw new AssertionError("no progress: tx pending " + tx.pending() + ", rx pending " + rx.pending());
            }
        }
    }

    static List<byte[]> readPcap(ByteArrayOutputStream bytes) throws IOException {
        List<byte[]> l = new ArrayList<>();
        try (PcapReader r = new PcapReader(new ByteArrayInputStream(bytes.toByteArray()))) {
            PcapRecord rec = new PcapRecord();
            while (r.next(rec)) {
                l.add(rec.copyIpPacket());
            }
        }
        return l;
    }
}
