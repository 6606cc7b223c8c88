package org.espline.runtime.pcap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.espline.runtime.header.InternetChecksum;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cross-checks the reader, the writer and the checksums against scapy (Debian's python3-scapy), an independent
 * implementation. Skipped where scapy is missing, unless CI=true, where missing scapy is a failure.
 */
class ScapyInteropTest {
    private static final String PYTHON = "/usr/bin/python3";

    @TempDir
    Path dir;

    private final PcapRecord record = new PcapRecord();

    @BeforeAll
    static void requireScapy() {
        boolean available;
        try {
            available = run(List.of(PYTHON, "-c", "import scapy.all")).exitCode == 0;
        } catch (IOException e) {
            available = false;
        }
        if (!available && "true".equals(System.getenv("CI"))) {
            fail("scapy is required when CI=true: " + PYTHON + " -c 'import scapy.all' failed");
        }
        Assumptions.assumeTrue(available, "scapy not available at " + PYTHON);
    }

    private static final class Result {
        final int exitCode;
        final String output;

        Result(int exitCode, String output) {
            this.exitCode = exitCode;
            this.output = output;
        }
    }

    private static Result run(List<String> command) throws IOException {
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException("timed out: " + command);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        return new Result(process.exitValue(), new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    private Result python(String script, String... args) throws IOException {
        final Path file = dir.resolve("script.py");
        Files.writeString(file, script);
        final List<String> command = new java.util.ArrayList<>(List.of(PYTHON, file.toString()));
        command.addAll(List.of(args));
        final Result result = run(command);
        assertEquals(0, result.exitCode, result.output);
        return result;
    }

    @Test
    void readsScapyEthernetFileWithVlanArpAndPadding() throws IOException {
        final Path pcap = dir.resolve("ethernet.pcap");
        python(String.join("\n",
                "import sys",
                "from scapy.all import Ether, Dot1AD, Dot1Q, IP, IPv6, UDP, TCP, ICMP, ARP, Padding, wrpcap",
                "mac = dict(src='02:00:00:00:00:01', dst='02:00:00:00:00:02')",
                "pk = [Ether(**mac)/IP(src='192.0.2.1', dst='192.0.2.2')/UDP(sport=4500, dport=4500)/(b'x' * 5),",
                "      Ether(**mac)/Dot1AD(vlan=10)/Dot1Q(vlan=20)/IPv6(src='2001:db8::1', dst='2001:db8::2')/TCP(sport=1, dport=2)/(b'y' * 3),",
                "      Ether(**mac)/ARP(hwsrc='02:00:00:00:00:01', psrc='192.0.2.1', pdst='192.0.2.2'),",
                "      Ether(**mac)/IP(src='192.0.2.1', dst='192.0.2.2')/ICMP()/Padding(load=b'\\0' * 18)]",
                "for i, p in enumerate(pk):",
                "    p.time = 1700000000 + i + 0.25",
                "wrpcap(sys.argv[1], pk, linktype=1)"), pcap.toString());

        try (PcapReader r = new PcapReader(pcap)) {
            assertEquals(PcapLinkType.ETHERNET, r.linkType());

            assertTrue(r.next(record));
            assertEquals(1_700_000_000L, record.timestampSeconds());
            assertEquals(250_000_000, record.timestampNanos());
            assertEquals(14, record.ipOffset());
            assertEquals(4, record.ipVersion());
            assertEquals(20 + 8 + 5, record.ipLength());
            assertEquals(InternetChecksum.Status.VALID,
                    InternetChecksum.verifyTransportChecksum(record.data(), record.ipOffset(), record.ipEnd()));

            assertTrue(r.next(record));
            assertEquals(22, record.ipOffset());
            assertEquals(2, record.vlanTagCount());
            assertEquals(6, record.ipVersion());
            assertEquals(40 + 20 + 3, record.ipLength());
            assertEquals(InternetChecksum.Status.VALID,
                    InternetChecksum.verifyTransportChecksum(record.data(), record.ipOffset(), record.ipEnd()));

            assertTrue(r.next(record));
            assertFalse(record.isIp());
            assertEquals(0x0806, record.linkProtocol());

            assertTrue(r.next(record));
            assertEquals(14 + 28 + 18, record.capturedLength());
            assertEquals(28, record.ipLength(), "Ethernet padding trimmed");
            assertEquals(InternetChecksum.Status.VALID,
                    InternetChecksum.verifyTransportChecksum(record.data(), record.ipOffset(), record.ipEnd()));

            assertFalse(r.next(record));
        }
    }

    @Test
    void readsScapyBigEndianNanosecondRawAndCookedFiles() throws IOException {
        final Path raw = dir.resolve("raw.pcap");
        final Path sll = dir.resolve("sll.pcap");
        python(String.join("\n",
                "import sys",
                "from scapy.all import IP, UDP, PcapWriter",
                "from scapy.layers.l2 import CookedLinux",
                "from scapy.utils import EDecimal",
                "w = PcapWriter(sys.argv[1], linktype=101, endianness='>', nano=True)",
                "p = IP(src='192.0.2.1', dst='198.51.100.7')/UDP(sport=500, dport=500)/b'z'",
                "p.time = EDecimal('1700000001.123456789')",
                "w.write(p)",
                "w.close()",
                "w = PcapWriter(sys.argv[2], linktype=113)",
                "q = CookedLinux(pkttype=0, lladdrtype=1, lladdrlen=6, proto=0x800)/IP(src='192.0.2.1', dst='198.51.100.7')/UDP()",
                "q.time = 5",
                "w.write(q)",
                "w.close()"), raw.toString(), sll.toString());

        try (PcapReader r = new PcapReader(raw)) {
            assertEquals(java.nio.ByteOrder.BIG_ENDIAN, r.byteOrder());
            assertTrue(r.isNanosecond());
            assertEquals(PcapLinkType.RAW, r.linkType());
            assertTrue(r.next(record));
            assertEquals(1_700_000_001L, record.timestampSeconds());
            assertEquals(123_456_789, record.timestampNanos());
            assertEquals(4, record.ipVersion());
            assertEquals(29, record.ipLength());
            assertEquals(InternetChecksum.Status.VALID,
                    InternetChecksum.verifyTransportChecksum(record.data(), record.ipOffset(), record.ipEnd()));
        }
        try (PcapReader r = new PcapReader(sll)) {
            assertEquals(PcapLinkType.LINUX_SLL, r.linkType());
            assertTrue(r.next(record));
            assertEquals(16, record.ipOffset());
            assertEquals(4, record.ipVersion());
            assertEquals(28, record.ipLength());
        }
    }

    @Test
    void scapyReadsWhatTheWriterWrites() throws IOException {
        final Path pcap = dir.resolve("ours.pcap");
        try (PcapWriter w = new PcapWriter(pcap)) {
            w.write(PcapFiles.IPV4_UDP, 0, PcapFiles.IPV4_UDP.length, 1_700_000_000L, 123_456);
            w.write(PcapFiles.IPV6_ICMP, 0, PcapFiles.IPV6_ICMP.length, 1_700_000_002L, 0);
        }
        final Result result = python(String.join("\n",
                "import sys",
                "from scapy.all import RawPcapReader",
                "r = RawPcapReader(sys.argv[1])",
                "print('linktype', r.linktype)",
                "for data, meta in r:",
                "    print(meta.sec, meta.usec, meta.caplen, meta.wirelen, data.hex())"), pcap.toString());
        final String[] lines = result.output.strip().lines().filter(l -> !l.startsWith("WARNING")).toArray(String[]::new);
        assertArrayEquals(new String[] {
            "linktype 101",
            "1700000000 123456 39 39 " + java.util.HexFormat.of().formatHex(PcapFiles.IPV4_UDP),
            "1700000002 0 53 53 " + java.util.HexFormat.of().formatHex(PcapFiles.IPV6_ICMP),
        }, lines, result.output);
    }
}
