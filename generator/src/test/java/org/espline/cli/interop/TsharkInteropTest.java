package org.espline.cli.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Interop proof against Wireshark's ESP dissector (tshark 4.0): tshark decrypts Espline's ESP with
 * an {@code esp_sa} table built from the SA, checks every ICV, and dissects the inner packet.
 *
 * <p>Wireshark 4.0's {@code epan/dissectors/packet-ipsec.c} knows AES-CBC, NULL, AES-GCM with 8/12/16
 * byte ICVs, and HMAC-SHA-1-96 / SHA-256-128 / SHA-384-192 / SHA-512-256. It has no ChaCha20-Poly1305,
 * AES-CCM or AES-GMAC entry, and no ESN: its GCM AAD is SPI || 32-bit sequence and its HMAC covers
 * the ESP packet only, so only ESN-off cells of those algorithms are in this test (scapy covers the
 * rest). The cells come from {@code esp_interop.py gen}.
 *
 * <p>Before Espline is involved the test proves the tshark set-up: tshark must verify scapy's ESP of
 * every cell, and must report a bad ICV for a packet with one flipped byte.
 */
class TsharkInteropTest {
    static final List<String> CELLS = List.of(
            "aes-gcm-128-icv16-tunnel-v4-noesn",
            "aes-gcm-256-icv16-transport-v6-noesn",
            "aes-gcm-192-icv16-tunnel-v4-udp-noesn",
            "aes-gcm-128-icv8-tunnel-v6-noesn",
            "aes-gcm-128-icv12-transport-v4-udp-noesn",
            "aes-cbc-128-sha1-tunnel-v6-noesn",
            "aes-cbc-128-sha256-transport-v4-udp-noesn",
            "aes-cbc-256-sha256-tunnel-v4-noesn",
            "aes-cbc-256-sha384-tunnel-v4-udp-noesn",
            "aes-cbc-256-sha512-transport-v6-noesn",
            "null-sha256-tunnel-v4-noesn",
            "null-sha256-transport-v6-noesn");

    /** Dissection stops at these protocols, so a random inner port cannot call into (and crash) another. */
    static final Set<String> DISSECTED = Set.of("frame", "raw", "ip", "ipv6", "udp", "udpencap", "esp", "tcp",
            "icmp", "icmpv6", "data");

    @TempDir
    static Path tempDir;

    private static Path tshark;
    private static Path wiresharkConfig;
    private static List<InteropCell> cells;

    @BeforeAll
    static void generateCells() throws IOException {
        Path python = ExternalTools.scapyPython();
        tshark = ExternalTools.tshark();
        Path matrix = ExternalTools.workDir(tempDir, "tshark-matrix");
        List<String> gen = new ArrayList<>(List.of(python.toString(), ExternalTools.interopScript().toString(),
                "gen", matrix.toString()));
        gen.addAll(CELLS);
        ExternalTools.Result r = ExternalTools.run(gen, null, Map.of());
        assertEquals(0, r.exitCode(), () -> "esp_interop.py gen failed\n" + r.describe());
        cells = InteropCell.loadAll(matrix);
        wiresharkConfig = privateWiresharkConfig(matrix.resolve("wireshark-config"));
    }

    /**
     * A personal configuration directory of our own (WIRESHARK_CONFIG_DIR), so a user's preferences
     * cannot change the result, whose {@code disabled_protos} turns off every protocol but
     * {@link #DISSECTED}.
     */
    private static Path privateWiresharkConfig(Path dir) throws IOException {
        ExternalTools.Result protocols = ExternalTools.run(List.of(tshark.toString(), "-G", "protocols"), null,
                Map.of());
        assertEquals(0, protocols.exitCode(), () -> "tshark -G protocols\n" + protocols.describe());
        String disabled = protocols.stdout().lines()
                .map(l -> l.split("\t"))
                .filter(f -> f.length >= 3 && !DISSECTED.contains(f[2]))
                .map(f -> f[2])
                .collect(Collectors.joining("\n", "", "\n"));
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("disabled_protos"), disabled);
        return dir;
    }

    /** Control: tshark, with our esp_sa entries, verifies and dissects scapy's ESP of every cell. */
    @TestFactory
    Stream<DynamicTest> tsharkVerifiesScapyEsp() {
        return cells.stream().map(c -> dynamicTest(c.name(), () -> assertAllVerified(c, c.scapyEsp(), -1)));
    }

    /** Negative control: one flipped byte must make tshark report that packet's ICV bad. */
    @Test
    void tsharkReportsAFlippedByte() throws IOException {
        for (InteropCell c : List.of(cell("aes-gcm-128-icv16-tunnel-v4-noesn"), cell("aes-cbc-128-sha1-tunnel-v6-noesn"))) {
            TinyPcap.Capture scapy = TinyPcap.read(c.scapyEsp());
            List<byte[]> packets = new ArrayList<>(scapy.packets());
            int victim = 0;
            for (int i = 1; i < packets.size(); i++) {
                victim = packets.get(i).length > packets.get(victim).length ? i : victim;
            }
            // The middle of the largest packet is inner payload data, so the inner dissection still
            // works and only the ICV verdict changes.
            byte[] copy = packets.get(victim).clone();
            copy[copy.length / 2] ^= 0x20;
            packets.set(victim, copy);
            Path corrupted = c.dir().resolve("corrupted-esp.pcap");
            TinyPcap.write(corrupted, scapy.linktype(), packets);
            assertAllVerified(c, corrupted, victim);
        }
    }

    /** The proof: tshark verifies and dissects what {@code espline pcap encrypt} wrote. */
    @TestFactory
    Stream<DynamicTest> tsharkVerifiesEsplineEsp() {
        return cells.stream().map(c -> dynamicTest(c.name(), () -> {
            Map<String, Long> counters = EsplineCli.encrypt(c, c.plain(), c.esplineEsp(),
                    c.dir().resolve("encrypt-stats.json"));
            EsplineCli.assertOnlyDelivered(c.name(), counters, "EsplineOutDelivered", c.packets());
            assertAllVerified(c, c.esplineEsp(), -1);
        }));
    }

    /**
     * Runs tshark over {@code esp} and asserts, packet by packet: SPI and sequence number as the SA
     * says, ICV good (bad only for packet {@code badIcv}), the inner protocol dissected, and tshark's
     * decrypted inner data equal to plain.pcap (the whole inner packet in tunnel mode, the transport
     * payload in transport mode).
     */
    private static void assertAllVerified(InteropCell c, Path esp, int badIcv) throws IOException {
        List<byte[]> plain = TinyPcap.read(c.plain()).packets();
        List<String> command = tsharkCommand(c, esp);
        ExternalTools.Result r = ExternalTools.run(command, null,
                Map.of("WIRESHARK_CONFIG_DIR", wiresharkConfig.toString()));
        assertEquals(0, r.exitCode(), () -> c + ": tshark failed\n" + String.join(" ", command) + "\n" + r.describe());
        List<String[]> rows = r.stdout().lines().map(l -> l.split("\t", -1)).collect(Collectors.toList());
        assertEquals(plain.size(), rows.size(), () -> c + ": tshark saw " + rows.size() + " packets in " + esp
                + ", plain.pcap has " + plain.size() + "\n" + r.describe());
        for (int i = 0; i < rows.size(); i++) {
            String[] f = rows.get(i);
            String where = c + " packet " + i + " of " + esp.getFileName() + " (tshark: " + String.join(" | ", f) + ")";
            assertEquals(7, f.length, () -> where + ": unexpected field count");
            assertEquals(c.spi(), Long.decode(f[1]), () -> where + ": SPI");
            assertEquals((c.firstSeq() + i) & 0xffffffffL, Long.parseLong(f[2]), () -> where + ": sequence number");
            boolean bad = i == badIcv;
            assertEquals(bad ? "0" : "1", f[3], () -> where + ": esp.icv_good");
            assertEquals(bad ? "1" : "0", f[4], () -> where + ": esp.icv_bad");
            if (bad) {
                continue;
            }
            byte[] want = plain.get(i);
            String chain = innerChain(c, want);
            assertTrue(f[5].contains(":esp:" + chain), () -> where + ": inner dissection should be " + chain);
            byte[] contained = c.tunnel() ? want : Arrays.copyOfRange(want, c.ipv4() ? (want[0] & 0x0f) * 4 : 40,
                    want.length);
            assertEquals(TinyPcap.hex(contained), f[6], () -> where + ": tshark's decrypted data");
        }
    }

    static List<String> tsharkCommand(InteropCell c, Path esp) {
        return List.of(tshark.toString(), "-Q", "-n", "-r", esp.toString(),
                "-o", "esp.enable_encryption_decode:TRUE",
                "-o", "esp.enable_authentication_check:TRUE",
                "-o", "uat:esp_sa:" + espSaEntry(c),
                "-T", "fields", "-E", "separator=/t", "-E", "occurrence=f",
                "-e", "frame.number", "-e", "esp.spi", "-e", "esp.sequence", "-e", "esp.icv_good",
                "-e", "esp.icv_bad", "-e", "frame.protocols", "-e", "esp.contained_data");
    }

    /**
     * One {@code esp_sa} UAT record: protocol, source, destination, SPI, encryption, encryption key,
     * authentication, authentication key, each quoted. The algorithm fields take the exact labels of
     * Wireshark 4.0's esp_encryption_type_vals / esp_authentication_type_vals; AES-GCM keys carry the
     * 4-byte salt at the end, as in ip xfrm.
     */
    static String espSaEntry(InteropCell c) {
        String enc;
        String auth;
        String authKey;
        switch (c.xfrmEnc()) {
            case "rfc4106(gcm(aes))":
                enc = "AES-GCM with " + c.icvLength() + " octet ICV [RFC4106]";
                auth = "NULL";
                authKey = "";
                break;
            case "cbc(aes)":
                enc = "AES-CBC [RFC3602]";
                auth = hmacLabel(c);
                authKey = "0x" + c.authKeyHex();
                break;
            case "ecb(cipher_null)":
                enc = "NULL";
                auth = hmacLabel(c);
                authKey = "0x" + c.authKeyHex();
                break;
            default:
                return fail(c + ": Wireshark 4.0 cannot decrypt " + c.xfrmEnc());
        }
        String encKey = c.cryptKeyHex().isEmpty() ? "" : "0x" + c.cryptKeyHex();
        return Stream.of(c.ipv4() ? "IPv4" : "IPv6", c.src(), c.dst(), c.spiHex(), enc, encKey, auth, authKey)
                .map(s -> '"' + s + '"').collect(Collectors.joining(","));
    }

    private static String hmacLabel(InteropCell c) {
        switch (c.xfrmAuth()) {
            case "hmac(sha1)": return "HMAC-SHA-1-96 [RFC2404]";
            case "hmac(sha256)": return "HMAC-SHA-256-128 [RFC4868]";
            case "hmac(sha384)": return "HMAC-SHA-384-192 [RFC4868]";
            case "hmac(sha512)": return "HMAC-SHA-512-256 [RFC4868]";
            default: return fail(c + ": Wireshark 4.0 cannot check " + c.xfrmAuth());
        }
    }

    /** What tshark's frame.protocols must show after "esp:", from the plain packet's own headers. */
    private static String innerChain(InteropCell c, byte[] plain) {
        boolean v4 = (plain[0] >> 4) == 4;
        int proto = (v4 ? plain[9] : plain[6]) & 0xff;
        String l4;
        switch (proto) {
            case 1: l4 = "icmp"; break;
            case 6: l4 = "tcp"; break;
            case 17: l4 = "udp"; break;
            case 58: l4 = "icmpv6"; break;
            default: return fail(c + ": plain packet with protocol " + proto);
        }
        return c.tunnel() ? (v4 ? "ip:" : "ipv6:") + l4 : l4;
    }

    private static InteropCell cell(String name) {
        return cells.stream().filter(c -> c.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("matrix has no cell " + name));
    }
}
