package org.espline.runtime.config;

import java.net.Inet4Address;
import java.util.ArrayList;
import java.util.List;

import org.espline.runtime.crypto.EncryptionAlgorithm;
import org.espline.runtime.crypto.IntegrityAlgorithm;
import org.espline.runtime.crypto.KeyMaterial;
import org.espline.runtime.sa.Lifetime;
import org.espline.runtime.sa.SaConfig;
import org.espline.runtime.sa.SaMode;
import org.espline.runtime.sa.UdpEncapsulation;

/**
 * Writes SAs out for other tools: as {@code ip xfrm state add} commands (which {@link XfrmStateParser}
 * reads back to equal configurations) and as Wireshark's ESP SA table. Both outputs contain the keys:
 * they are secrets and belong in files with the permissions of a key file, never in logs.
 *
 * <p>Stateless and thread-safe.
 */
public final class XfrmStateWriter {
    private static final String CONTINUATION = " \\\n    ";

    public XfrmStateWriter() {
    }

    /**
     * One {@code ip xfrm state add} command per SA, continued over a few lines with {@code \}. Everything the
     * configuration holds is written except its {@link SaConfig#name() name}, which {@code ip} has no word
     * for. Note for use on Linux: {@code ip} refuses {@code flag esn} without a replay window and windows
     * above 4096 packets, both of which Espline allows.
     *
     * @throws IllegalArgumentException for a benchmark-only SA (NULL encryption without integrity), which
     *         the parser refuses (RFC 4303 section 3.2) and so could not read back
     */
    public String toIpXfrmCommands(List<SaConfig> sas) {
        StringBuilder out = new StringBuilder();
        for (SaConfig sa : sas) {
            if (sa.encryption() == EncryptionAlgorithm.NULL && sa.integrity() == IntegrityAlgorithm.NONE) {
                throw new IllegalArgumentException(sa.name() + ": NULL encryption without integrity is benchmark-only"
                        + " and is not written as an ip xfrm command");
            }
            List<String> parts = new ArrayList<>();
            parts.add("ip xfrm state add src " + sa.source().getHostAddress() + " dst " + sa.destination().getHostAddress()
                    + " proto esp spi 0x" + hex8(sa.spi()) + " reqid " + Integer.toUnsignedString(sa.reqid())
                    + " mode " + (sa.mode() == SaMode.TUNNEL ? "tunnel" : "transport"));
            parts.add(replay(sa));
            parts.add(algorithms(sa));
            String extras = extras(sa);
            if (!extras.isEmpty()) {
                parts.add(extras);
            }
            out.append(String.join(CONTINUATION, parts)).append('\n');
        }
        return out.toString();
    }

    private static String replay(SaConfig sa) {
        StringBuilder s = new StringBuilder("replay-window ").append(sa.replayWindow());
        if (sa.esn()) {
            s.append(" flag esn");
        }
        appendSequence(s, "replay-seq", sa.inboundSequence());
        appendSequence(s, "replay-oseq", sa.outboundSequence());
        return s.toString();
    }

    private static void appendSequence(StringBuilder s, String word, long sequence) {
        long low = sequence & 0xFFFF_FFFFL;
        long high = sequence >>> 32;
        if (low != 0) {
            s.append(' ').append(word).append(" 0x").append(Long.toHexString(low));
        }
        if (high != 0) {
            s.append(' ').append(word).append("-hi 0x").append(Long.toHexString(high));
        }
    }

    private static String algorithms(SaConfig sa) {
        EncryptionAlgorithm enc = sa.encryption();
        if (enc.isAead()) {
            return "aead '" + enc.linuxName() + "' " + ipKey(sa.encryptionKey()) + " " + sa.icvLength() * 8;
        }
        String s = "enc '" + enc.linuxName() + "' " + ipKey(sa.encryptionKey());
        IntegrityAlgorithm auth = sa.integrity();
        return s + CONTINUATION + "auth-trunc '" + auth.linuxName() + "' " + ipKey(sa.integrityKey()) + " "
                + sa.icvLength() * 8;
    }

    /** {@code 0x} hex; the empty key as {@code ""}, because {@code ip} reads a bare {@code 0x} as two bytes of text. */
    private static String ipKey(KeyMaterial key) {
        return key.length() == 0 ? "\"\"" : key.toHexForExport();
    }

    private static String extras(SaConfig sa) {
        List<String> words = new ArrayList<>();
        UdpEncapsulation encap = sa.encapsulation();
        if (encap != null) {
            words.add("encap espinudp " + encap.sourcePort() + " " + encap.destinationPort() + " "
                    + (encap.originalAddress() != null ? encap.originalAddress().getHostAddress() : "0.0.0.0"));
        }
        limits(words, "soft", sa.softLifetime());
        limits(words, "hard", sa.hardLifetime());
        if (sa.tfcPadTo() > 0) {
            words.add("tfcpad " + sa.tfcPadTo());
        }
        return String.join(" ", words);
    }

    private static void limits(List<String> words, String level, Lifetime l) {
        if (l.seconds() != Long.MAX_VALUE) {
            words.add("limit time-" + level + " " + l.seconds());
        }
        if (l.bytes() != Long.MAX_VALUE) {
            words.add("limit byte-" + level + " " + l.bytes());
        }
        if (l.packets() != Long.MAX_VALUE) {
            words.add("limit packet-" + level + " " + l.packets());
        }
    }

    // ---------------------------------------------------------------- Wireshark

    /**
     * The content of Wireshark's {@code esp_sa} table (Wireshark 4.0, {@code epan/dissectors/packet-ipsec.c}):
     * one record per SA, eight quoted fields {@code "IPv4|IPv6","src","dst","0xSPI","<encryption>","0xKEY",
     * "<authentication>","0xKEY"}, where the algorithm fields hold the labels of Wireshark's value strings
     * (the table stores labels, not numbers) and an AES-GCM key includes its 4-byte salt, as in Linux.
     *
     * <p>Use it as {@code <profile>/esp_sa} (for tshark: {@code WIRESHARK_CONFIG_DIR=dir tshark ...} with the
     * file at {@code dir/esp_sa}), or pass each record as {@code -o 'uat:esp_sa:RECORD'}; decryption needs
     * {@code -o esp.enable_encryption_decode:TRUE} and ICV checks {@code -o esp.enable_authentication_check:TRUE}.
     * Wireshark 4.0 knows no ESN: with {@code flag esn} it decrypts but reports the ICV as wrong.
     *
     * @throws IllegalArgumentException if an SA uses an algorithm Wireshark 4.0 cannot decrypt (AES-CCM,
     *         ChaCha20-Poly1305, AES-GMAC); see {@link #wiresharkSupports(SaConfig)}
     */
    public String toWiresharkEspSa(List<SaConfig> sas) {
        List<String> refused = new ArrayList<>();
        for (SaConfig sa : sas) {
            if (!wiresharkSupports(sa)) {
                refused.add(sa.name() + " (" + sa.encryption().linuxName() + ")");
            }
        }
        if (!refused.isEmpty()) {
            throw new IllegalArgumentException("Wireshark 4.0 cannot decrypt " + String.join(", ", refused)
                    + "; it supports NULL, AES-CBC and AES-GCM (RFC 4106)");
        }
        StringBuilder out = new StringBuilder("# Wireshark ESP SAs (esp_sa table), written by Espline\n");
        for (SaConfig sa : sas) {
            out.append(quoted(sa.destination() instanceof Inet4Address ? "IPv4" : "IPv6")).append(',')
                    .append(quoted(sa.source().getHostAddress())).append(',')
                    .append(quoted(sa.destination().getHostAddress())).append(',')
                    .append(quoted("0x" + hex8(sa.spi()))).append(',')
                    .append(quoted(wiresharkEncryption(sa))).append(',')
                    .append(quoted(wiresharkKey(sa.encryptionKey()))).append(',')
                    .append(quoted(wiresharkAuthentication(sa.integrity()))).append(',')
                    .append(quoted(wiresharkKey(sa.integrityKey()))).append('\n');
        }
        return out.toString();
    }

    /** Whether Wireshark 4.0 can decrypt this SA (NULL, AES-CBC or AES-GCM encryption). */
    public static boolean wiresharkSupports(SaConfig sa) {
        switch (sa.encryption()) {
            case NULL:
            case AES_CBC:
            case AES_GCM:
                return true;
            default:
                return false;
        }
    }

    /** Labels of {@code esp_encryption_type_vals} (IPSEC_ENCRYPT_NULL = 0, AES_CBC = 2, AES_GCM_8/12/16 = 9/10/11). */
    private static String wiresharkEncryption(SaConfig sa) {
        switch (sa.encryption()) {
            case NULL:
                return "NULL";
            case AES_CBC:
                return "AES-CBC [RFC3602]";
            case AES_GCM:
                return "AES-GCM with " + sa.icvLength() + " octet ICV [RFC4106]";
            default:
                throw new IllegalArgumentException("no Wireshark 4.0 label for " + sa.encryption());
        }
    }

    /** Labels of {@code esp_authentication_type_vals} (NULL = 0, SHA1_96 = 1, SHA256_128 = 3, SHA384_192 = 4, SHA512_256 = 5). */
    private static String wiresharkAuthentication(IntegrityAlgorithm a) {
        switch (a) {
            case NONE:
                return "NULL";
            case HMAC_SHA1_96:
                return "HMAC-SHA-1-96 [RFC2404]";
            case HMAC_SHA256_128:
                return "HMAC-SHA-256-128 [RFC4868]";
            case HMAC_SHA384_192:
                return "HMAC-SHA-384-192 [RFC4868]";
            case HMAC_SHA512_256:
                return "HMAC-SHA-512-256 [RFC4868]";
            default:
                throw new IllegalArgumentException("no Wireshark 4.0 label for " + a);
        }
    }

    /** Wireshark reads {@code 0x...} as hex and anything else as text; the empty key is written empty. */
    private static String wiresharkKey(KeyMaterial key) {
        return key.length() == 0 ? "" : key.toHexForExport();
    }

    private static String quoted(String field) {
        return "\"" + field + "\"";
    }

    private static String hex8(int v) {
        String h = Integer.toHexString(v);
        return "00000000".substring(h.length()) + h;
    }
}
