package org.espline.cli.interop;

import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.espline.runtime.config.XfrmPolicy;
import org.espline.runtime.crypto.EncryptionAlgorithm;
import org.espline.runtime.crypto.IntegrityAlgorithm;
import org.espline.runtime.sa.SaConfig;
import org.espline.runtime.sa.SaMode;

/**
 * Writes ESP that Espline sent as cells of {@code esp_interop.py check}: per SA a directory with {@code cell.json}
 * (the fields {@code check_cell} reads, spelt as {@code make_cell} writes them), {@code plain.pcap} (the inner packets
 * the SA carried, in order) and {@code espline-esp.pcap} (its ESP packets, in order, first sequence number 1), and
 * {@code cells.txt} listing the cells.
 */
final class EspCells {
    private final Path matrix;
    private final List<String> names = new ArrayList<>();

    EspCells(Path matrix) {
        this.matrix = matrix;
    }

    /** One cell: {@code sa} sent {@code esp[i]} for {@code plain[i]}. */
    void add(String name, SaConfig sa, List<byte[]> plain, List<byte[]> esp) throws IOException {
        assertFalse(esp.isEmpty(), name + ": no ESP packet");
        Path dir = Files.createDirectories(matrix.resolve(name));
        Files.writeString(dir.resolve("cell.json"), json(name, sa, esp.size()), StandardCharsets.UTF_8);
        TinyPcap.write(dir.resolve("plain.pcap"), TinyPcap.LINKTYPE_RAW, plain);
        TinyPcap.write(dir.resolve("espline-esp.pcap"), TinyPcap.LINKTYPE_RAW, esp);
        names.add(name);
        Files.writeString(matrix.resolve("cells.txt"), String.join("\n", names) + "\n", StandardCharsets.UTF_8);
    }

    Path matrix() {
        return matrix;
    }

    List<String> names() {
        return List.copyOf(names);
    }

    static String json(String name, SaConfig sa, int packets) {
        EncryptionAlgorithm enc = sa.encryption();
        IntegrityAlgorithm auth = sa.integrity() == null ? IntegrityAlgorithm.NONE : sa.integrity();
        int block = enc.blockSize();
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("name", name);
        j.put("mode", sa.mode() == SaMode.TUNNEL ? "tunnel" : "transport");
        j.put("family", sa.isIpv6() ? "v6" : "v4");
        j.put("encap", sa.encapsulation() == null ? "none" : "espinudp");
        j.put("esn", sa.esn());
        j.put("src", XfrmPolicy.address(sa.source()));
        j.put("dst", XfrmPolicy.address(sa.destination()));
        j.put("spi", Integer.toUnsignedLong(sa.spi()));
        j.put("spi_hex", String.format("0x%08x", sa.spi()));
        j.put("first_seq", 1);
        j.put("packets", packets);
        j.put("scapy_crypt", scapyCrypt(enc, sa.icvLength()));
        j.put("scapy_auth", scapyAuth(auth));
        j.put("crypt_key_hex", sa.encryptionKey().toHexForExport().substring(2));
        j.put("auth_key_hex", sa.integrityKey() == null ? "" : sa.integrityKey().toHexForExport().substring(2));
        j.put("icv_len", sa.icvLength());
        j.put("iv_len", enc.ivLength());
        j.put("align", block * 4 / gcd(block, 4));
        j.put("aead", enc.isAead());
        StringBuilder sb = new StringBuilder("{\n");
        int i = 0;
        for (Map.Entry<String, Object> e : j.entrySet()) {
            Object v = e.getValue();
            sb.append(" \"").append(e.getKey()).append("\": ")
                    .append(v instanceof String s ? "\"" + s + "\"" : String.valueOf(v))
                    .append(++i < j.size() ? ",\n" : "\n");
        }
        return sb.append("}\n").toString();
    }

    /** scapy's name (with the harness's additions AES-GCM-TRUNC and AES-NULL-GMAC). */
    static String scapyCrypt(EncryptionAlgorithm enc, int icvLength) {
        return switch (enc) {
            case AES_GCM -> icvLength == 16 ? "AES-GCM" : "AES-GCM-TRUNC";
            case AES_CCM -> "AES-CCM";
            case CHACHA20_POLY1305 -> "CHACHA20-POLY1305";
            case AES_GMAC -> "AES-NULL-GMAC";
            case AES_CBC -> "AES-CBC";
            case NULL -> "NULL";
        };
    }

    static String scapyAuth(IntegrityAlgorithm auth) {
        return switch (auth) {
            case NONE -> "NULL";
            case HMAC_SHA1_96 -> "HMAC-SHA1-96";
            case HMAC_SHA256_128 -> "SHA2-256-128";
            case HMAC_SHA384_192 -> "SHA2-384-192";
            case HMAC_SHA512_256 -> "SHA2-512-256";
        };
    }

    private static int gcd(int a, int b) {
        return b == 0 ? a : gcd(b, a % b);
    }
}
