package org.espline.runtime.gso;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.espline.runtime.buffer.BufferPool;
import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.pipeline.GroStage;
import org.espline.runtime.pipeline.GsoStage;
import org.espline.runtime.pipeline.PacketBatch;
import org.espline.runtime.stats.XfrmStats;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GSO segments and a GRO-coalesced packet checked by scapy, an independent implementation: it parses each
 * packet, recomputes the IPv4 header and TCP checksums (fields deleted) and compares them with ours, and
 * checks the lengths. Skipped where scapy is missing, unless CI=true, where missing scapy is a failure.
 */
class GsoGroScapyTest {
    private static final String PYTHON = "/usr/bin/python3";

    @TempDir
    Path dir;

    @BeforeAll
    static void requireScapy() {
        boolean available;
        try {
            Process p = new ProcessBuilder(PYTHON, "-c", "import scapy.all").redirectErrorStream(true).start();
            available = p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            available = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            available = false;
        }
        if (!available && "true".equals(System.getenv("CI"))) {
            fail("scapy is required when CI=true: " + PYTHON + " -c 'import scapy.all' failed");
        }
        Assumptions.assumeTrue(available, "scapy not available at " + PYTHON);
    }

    @Test
    void scapyAgreesWithSegmentAndCoalescedChecksums() throws Exception {
        BufferPool big = new BufferPool(4, 64, 65575, 0, 4);
        BufferPool pool = new BufferPool(128, 128, 1500, 64, 64);
        List<byte[]> packets = new ArrayList<>();
        for (boolean v6 : new boolean[] {false, true}) {
            byte[] superPacket = TcpPackets.tcp().v6(v6).flags(TcpPackets.ACK | TcpPackets.PSH)
                    .options(TcpPackets.TS_OPTION).payload(TcpPackets.payload(5001, 2)).build();
            PacketBuffer p = big.acquire();
            System.arraycopy(superPacket, 0, p.array(), p.put(superPacket.length), superPacket.length);
            p.securityAssociation(GroTableTest.sa(true, 0x4004));
            GsoStage gso = new GsoStage(1448, pool, new XfrmStats());
            PacketBatch a = new PacketBatch(gso.maxOutputPerInput());
            PacketBatch b = new PacketBatch(gso.maxOutputPerInput());
            a.add(p);
            gso.process(a, b);
            a.clear();
            for (int i = 0; i < b.size(); i++) {
                packets.add(b.get(i).toByteArray());
            }
            new GroStage(65535, 64, 0).process(b, a);
            assertEquals(1, a.size());
            packets.add(a.get(0).toByteArray());
            a.releaseAll();
        }
        Path script = dir.resolve("check.py");
        Files.writeString(script, String.join("\n",
                "import sys",
                "from scapy.all import IP, IPv6, TCP, raw",
                "for h in sys.argv[1:]:",
                "    data = bytes.fromhex(h)",
                "    p = IPv6(data) if data[0] >> 4 == 6 else IP(data)",
                "    q = p.copy()",
                "    if IP in q:",
                "        del q[IP].chksum",
                "        del q[IP].len",
                "    else:",
                "        del q[IPv6].plen",
                "    del q[TCP].chksum",
                "    q = q.__class__(raw(q))",
                "    ok = q[TCP].chksum == p[TCP].chksum and len(raw(q)) == len(data)",
                "    if IP in q:",
                "        ok = ok and q[IP].chksum == p[IP].chksum and q[IP].len == p[IP].len",
                "    print('ok' if ok else 'BAD ' + p.summary(), len(p[TCP].payload))",
                ""));
        List<String> command = new ArrayList<>(List.of(PYTHON, script.toString()));
        for (byte[] pkt : packets) {
            command.add(HexFormat.of().formatHex(pkt));
        }
        Process proc = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        proc.waitFor(120, TimeUnit.SECONDS);
        assertEquals(0, proc.exitValue(), output);
        List<String> lines = output.strip().lines().filter(l -> !l.startsWith("WARNING")).toList();
        assertEquals(List.of("ok 1448", "ok 1448", "ok 1448", "ok 657", "ok 5001",
                "ok 1448", "ok 1448", "ok 1448", "ok 657", "ok 5001"), lines, output);
        assertEquals(0, pool.outstanding());
        assertEquals(0, big.outstanding());
    }
}
