package org.espline.cli;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.espline.runtime.config.ConfigProblem;
import org.espline.runtime.config.XfrmIssueCodes;
import org.espline.runtime.config.XfrmPolicy;
import org.espline.runtime.crypto.EncryptionAlgorithm;
import org.espline.runtime.crypto.IntegrityAlgorithm;
import org.espline.runtime.sa.Lifetime;
import org.espline.runtime.sa.SaConfig;
import org.espline.runtime.sa.SaMode;

/**
 * Turns SAs and policies read from {@code ip xfrm} text into the text of an {@code .espl} model: deterministic
 * (same input, same bytes), formatted like the example models. SAs are named {@code sa_<spi in hex>} (with
 * {@code _2}, {@code _3} for SPIs that repeat under another destination), policies {@code pol_<dir>_<n>} in
 * priority order. A policy's template is linked to the one SA its SPI, reqid, endpoints and mode fit.
 *
 * <p>What a model cannot say is reported as a note and left out: {@code dir fwd} policies (a model's {@code dir in}
 * stands for them; {@code espline export xfrm} writes them again for tunnel mode), the reqid (a model's is its SPI)
 * and the encapsulation's original address. Not thread-safe; one instance per import.
 */
final class XfrmImport {
    static final String HEADER = "// Imported by 'espline import xfrm'. The keys are literal: keep this file as secret as a key file.\n";

    private final String file;
    private final List<ConfigProblem> problems = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    XfrmImport(String file) {
        this.file = file;
    }

    /** Problems that make the import unusable (file:line:col: message). */
    List<ConfigProblem> problems() {
        return problems;
    }

    /** What the model leaves out, one line each, for stderr. */
    List<String> notes() {
        return notes;
    }

    /** The model text; check {@link #problems()} afterwards. */
    String toModel(List<SaConfig> sas, List<XfrmPolicy> policies) {
        Map<SaConfig, String> names = new IdentityHashMap<>();
        Set<String> used = new HashSet<>();
        for (SaConfig sa : sas) {
            String base = "sa_" + Integer.toHexString(sa.spi());
            String name = base;
            for (int n = 2; !used.add(name); n++) {
                name = base + "_" + n;
            }
            names.put(sa, name);
            if (sa.encapsulation() != null && sa.encapsulation().originalAddress() != null
                    && !sa.encapsulation().originalAddress().isAnyLocalAddress()) {
                notes.add(file + ": note: " + name + ": the encapsulation's original address "
                        + sa.encapsulation().originalAddress().getHostAddress() + " has no word in a model and is left out");
            }
        }
        List<XfrmPolicy> ordered = new ArrayList<>(policies);
        ordered.sort(Comparator.comparingLong(XfrmPolicy::priority)); // stable: file order among equal priorities
        Map<XfrmPolicy, SaConfig> links = new IdentityHashMap<>();
        Map<SaConfig, XfrmPolicy.Direction> saDirections = new IdentityHashMap<>();
        Map<SaConfig, XfrmPolicy> firstPolicy = new IdentityHashMap<>();
        List<XfrmPolicy> kept = new ArrayList<>();
        for (XfrmPolicy p : ordered) {
            if (p.direction() == XfrmPolicy.Direction.FWD) {
                notes.add(file + ":" + p.line() + ":" + p.column() + ": note: dir fwd policy left out (a model's 'dir in' stands for it)");
                continue;
            }
            if (p.protocol() != 0 && protocolWord(p.protocol()) == null) {
                problems.add(new ConfigProblem(file, p.line(), p.column(), XfrmIssueCodes.UNSUPPORTED,
                        "proto " + p.protocol() + " has no word in a model (expected tcp, udp, icmp, ipv6-icmp, sctp or gre)"));
                continue;
            }
            if (p.template() != null) {
                SaConfig sa = link(p.template(), sas);
                if (sa == null) {
                    continue;
                }
                links.put(p, sa);
                firstPolicy.putIfAbsent(sa, p);
                XfrmPolicy.Direction before = saDirections.putIfAbsent(sa, p.direction());
                if (before != null && before != p.direction()) {
                    saDirections.put(sa, XfrmPolicy.Direction.FWD); // both: the model names no direction
                }
            }
            kept.add(p);
        }
        for (SaConfig sa : sas) {
            if (sa.mode() != SaMode.TRANSPORT) {
                continue;
            }
            XfrmPolicy p = firstPolicy.get(sa);
            boolean hosts = p != null && p.source().equals(sa.source()) && p.destination().equals(sa.destination())
                    && p.sourcePrefix() == bits(sa.source()) && p.destinationPrefix() == bits(sa.destination());
            if (!hosts) {
                problems.add(new ConfigProblem(file, p != null ? p.line() : 1, p != null ? p.column() : 1, XfrmIssueCodes.MISSING,
                        "transport-mode SA spi 0x" + String.format("%08x", sa.spi()) + " (" + address(sa.source()) + " -> "
                                + address(sa.destination()) + ") needs a first policy with exactly these hosts as selector"
                                + " and a tmpl naming it: a model takes a transport SA's addresses from its policy"));
            }
        }
        StringBuilder out = new StringBuilder(HEADER);
        for (SaConfig sa : sas) {
            out.append('\n');
            sa(out, sa, names.get(sa), saDirections.get(sa));
        }
        int n = 1;
        for (XfrmPolicy p : kept) {
            out.append('\n');
            policy(out, p, "pol_" + p.direction() + "_" + n++, links.containsKey(p) ? names.get(links.get(p)) : null);
        }
        return out.toString();
    }

    private SaConfig link(XfrmPolicy.Template t, List<SaConfig> sas) {
        List<SaConfig> fit = new ArrayList<>();
        for (SaConfig sa : sas) {
            if ((t.spi() == 0 || sa.spi() == t.spi()) && (t.reqid() == 0 || sa.reqid() == t.reqid())
                    && (t.source() == null || t.source().equals(sa.source()))
                    && (t.destination() == null || t.destination().equals(sa.destination())) && sa.mode() == t.mode()) {
                fit.add(sa);
            }
        }
        String what = "tmpl" + (t.spi() != 0 ? " spi 0x" + String.format("%08x", t.spi()) : "") + " reqid "
                + Integer.toUnsignedString(t.reqid()) + (t.destination() != null ? " dst " + address(t.destination()) : "")
                + " mode " + (t.mode() == SaMode.TUNNEL ? "tunnel" : "transport");
        if (fit.size() == 1) {
            return fit.get(0);
        }
        problems.add(new ConfigProblem(file, t.line(), t.column(), fit.isEmpty() ? XfrmIssueCodes.MISSING : XfrmIssueCodes.DUPLICATE,
                what + (fit.isEmpty() ? " matches no SA of the file (expected an 'ip xfrm state' with that reqid, spi, endpoints and mode)"
                        : " matches " + fit.size() + " SAs (give the tmpl an spi or endpoints)")));
        return null;
    }

    private static int bits(InetAddress a) {
        return a instanceof Inet4Address ? 32 : 128;
    }

    private static void sa(StringBuilder out, SaConfig sa, String name, XfrmPolicy.Direction dir) {
        out.append("sa ").append(name).append(" {\n");
        line(out, "spi 0x" + String.format("%08x", sa.spi()));
        if (dir == XfrmPolicy.Direction.IN || dir == XfrmPolicy.Direction.OUT) {
            line(out, "dir " + dir);
        }
        line(out, sa.mode() == SaMode.TUNNEL ? "mode tunnel src " + address(sa.source()) + " dst " + address(sa.destination())
                : "mode transport");
        if (sa.encapsulation() != null) {
            line(out, "encap udp " + sa.encapsulation().sourcePort() + " " + sa.encapsulation().destinationPort());
        }
        EncryptionAlgorithm enc = sa.encryption();
        if (enc.isAead()) {
            line(out, "aead " + aeadName(sa) + " key " + sa.encryptionKey().toHexForExport());
        } else {
            String e = "enc " + (enc == EncryptionAlgorithm.NULL ? "null" : "aes" + sa.encryptionKey().length() * 8);
            if (sa.encryptionKey().length() > 0) {
                e += " key " + sa.encryptionKey().toHexForExport();
            }
            if (sa.integrity() != IntegrityAlgorithm.NONE) {
                line(out, e);
                line(out, "auth " + integrityName(sa.integrity()) + " key " + sa.integrityKey().toHexForExport());
            } else {
                line(out, e);
            }
        }
        if (sa.esn()) {
            line(out, "esn");
        }
        line(out, "replay-window " + sa.replayWindow());
        if (sa.inboundSequence() != 0) {
            line(out, "replay-seq 0x" + Long.toHexString(sa.inboundSequence()));
        }
        if (sa.outboundSequence() != 0) {
            line(out, "replay-oseq 0x" + Long.toHexString(sa.outboundSequence()));
        }
        String soft = limits(sa.softLifetime());
        String hard = limits(sa.hardLifetime());
        if (!soft.isEmpty() || !hard.isEmpty()) {
            line(out, "lifetime" + (soft.isEmpty() ? "" : " soft" + soft) + (hard.isEmpty() ? "" : " hard" + hard));
        }
        if (sa.tfcPadTo() != 0) {
            line(out, "tfc-pad " + sa.tfcPadTo());
        }
        out.append("}\n");
    }

    private static String limits(Lifetime l) {
        StringBuilder s = new StringBuilder();
        if (l.bytes() != Long.MAX_VALUE) {
            s.append(' ').append(l.bytes()).append(" bytes");
        }
        if (l.packets() != Long.MAX_VALUE) {
            s.append(' ').append(l.packets()).append(" packets");
        }
        if (l.seconds() != Long.MAX_VALUE) {
            s.append(' ').append(l.seconds()).append(" seconds");
        }
        return s.toString();
    }

    private static String aeadName(SaConfig sa) {
        EncryptionAlgorithm enc = sa.encryption();
        int keyBits = (sa.encryptionKey().length() - enc.saltLength()) * 8;
        switch (enc) {
            case CHACHA20_POLY1305:
                return "chacha20poly1305";
            case AES_GMAC:
                return "aes" + keyBits + "gmac";
            case AES_CCM:
                return "aes" + keyBits + "ccm" + sa.icvLength();
            default:
                return "aes" + keyBits + "gcm" + sa.icvLength();
        }
    }

    private static String integrityName(IntegrityAlgorithm a) {
        switch (a) {
            case HMAC_SHA256_128:
                return "sha256";
            case HMAC_SHA384_192:
                return "sha384";
            case HMAC_SHA512_256:
                return "sha512";
            default:
                return "sha1";
        }
    }

    private static void policy(StringBuilder out, XfrmPolicy p, String name, String sa) {
        out.append("policy ").append(name).append(" {\n");
        line(out, "dir " + p.direction());
        line(out, "src " + address(p.source()) + "/" + p.sourcePrefix() + " dst " + address(p.destination()) + "/" + p.destinationPrefix());
        if (p.protocol() != 0) {
            line(out, "proto " + protocolWord(p.protocol()));
            if (p.sourcePort() != XfrmPolicy.ANY_PORT) {
                line(out, "sport " + p.sourcePort());
            }
            if (p.destinationPort() != XfrmPolicy.ANY_PORT) {
                line(out, "dport " + p.destinationPort());
            }
        }
        line(out, p.block() ? "discard" : sa != null ? "protect " + sa : "bypass");
        out.append("}\n");
    }

    private static final Map<Integer, String> PROTOCOL_WORDS = new HashMap<>(Map.of(
            1, "icmp", 6, "tcp", 17, "udp", 47, "gre", 58, "icmpv6", 132, "sctp"));

    private static String protocolWord(int protocol) {
        return PROTOCOL_WORDS.get(protocol);
    }

    private static void line(StringBuilder out, String s) {
        out.append('\t').append(s).append('\n');
    }

    static String address(InetAddress a) {
        return XfrmPolicy.address(a);
    }
}
