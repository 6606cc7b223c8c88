package org.espline.runtime.config;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.espline.runtime.crypto.EncryptionAlgorithm;
import org.espline.runtime.crypto.IntegrityAlgorithm;
import org.espline.runtime.crypto.KeyMaterial;
import org.espline.runtime.sa.Lifetime;
import org.espline.runtime.sa.ReplayLimits;
import org.espline.runtime.sa.SaConfig;
import org.espline.runtime.sa.SaMode;
import org.espline.runtime.sa.UdpEncapsulation;

/**
 * Reads the words of one SA, in either form: the arguments of {@code ip xfrm state add} (after
 * {@code add}) or one SA of the {@code ip [-s] xfrm state} listing (from its {@code src} line on).
 * Both forms share one keyword grammar; the listing-only clauses (anti-replay context, lifetime
 * config/current, stats, lastused, "crypto offload parameters:", "encap type ... sport ...") are
 * accepted in either, as are the command-only ones.
 *
 * <p>The first error ends the SA: the problem is recorded and {@link #read()} returns null, so a file
 * with several bad SAs reports one problem for each. Informational clauses are checked for form and
 * then ignored; clauses that would change ESP processing and that Espline cannot honour are errors.
 * Not thread-safe; one instance per SA.
 */
final class XfrmSaReader {
    /** An SA read without error, with the words that identify it for duplicate checks. */
    record Result(SaConfig config, XfrmToken start, XfrmToken spiToken) {
    }

    /** Words that begin a clause; lets {@code flag} tell "no flags" from "unknown flag". */
    private static final Set<String> CLAUSE_WORDS = Set.of("src", "dst", "proto", "spi", "reqid", "mode", "seq",
            "replay-window", "replay-seq", "replay-oseq", "replay-seq-hi", "replay-oseq-hi", "flag", "extra-flag",
            "extra_flag", "sel", "limit", "encap", "aead", "enc", "auth", "auth-trunc", "comp", "tfcpad", "dir",
            "offload", "crypto", "mark", "output-mark", "if_id", "ctx", "coa", "security", "iptfs-opts",
            "anti-replay", "seq-hi", "oseq-hi", "lifetime", "stats:", "lastused");
    private static final Set<String> SELECTOR_WORDS = Set.of("src", "dst", "dev", "proto", "sport", "dport", "type",
            "code", "key", "uid");
    private static final Set<String> ESN_CONTEXT_WORDS = Set.of("seq-hi", "seq", "oseq-hi", "oseq", "replay_window",
            "replay-window", "bitmap-length");
    /** XFRM_STATE_* flag names; the name at index i is bit 1 << i. */
    private static final String[] FLAG_NAMES = {"noecn", "decap-dscp", "nopmtudisc", "wildrecv", "icmp", "af-unspec",
            "align4", "esn"};
    private static final int FLAG_ESN = 0x80;
    private static final int EXTRA_FLAG_OSEQ_MAY_WRAP = 0x2;

    /** {@code ip -s} appends the other radix in parentheses: {@code 0x00001000(4096)}, {@code 1(0x00000001)}. */
    private static final Pattern STATS_ANNOTATED = Pattern.compile("([^()]+)\\(([^()]*)\\)");
    /** {@code ip -s} prints the flag byte in binary after the names: {@code (0x00100000)}. */
    private static final Pattern FLAG_MASK = Pattern.compile("\\(0x[01]{8}\\)");
    /** Lifetime config values: {@code (INF)(bytes),}, {@code 1000(packets)}, {@code 0(sec),}. */
    private static final Pattern LIFETIME_VALUE = Pattern.compile("(\\(INF\\)|[0-9]+)\\((bytes|packets|sec)\\),?");
    private static final Pattern LIFETIME_COUNT = Pattern.compile("[0-9]+\\((bytes|packets)\\),?");
    private static final Pattern DATE = Pattern.compile("[0-9]{4}-[0-9]{2}-[0-9]{2}");
    private static final Pattern TIME = Pattern.compile("[0-9]{2}:[0-9]{2}:[0-9]{2}");
    private static final Pattern BITMAP_WORD = Pattern.compile("[0-9a-fA-F]{8}");
    private static final Pattern BITS_OPEN = Pattern.compile("\\(([0-9]+)");

    private final String file;
    private final List<XfrmToken> tokens;
    private final XfrmToken start;
    private final int familyHint;
    private final boolean listing;
    private int pos;

    private final Map<String, XfrmToken> seen = new HashMap<>();
    private boolean protoSeen;
    private InetAddress source;
    private InetAddress destination;
    private XfrmToken destinationToken;
    private XfrmToken spiToken;
    private int spi;
    private int reqid;
    private SaMode mode = SaMode.TRANSPORT;
    private int flags;
    private long replayWindow; // Linux default: 0, no replay protection
    private long seqLo;
    private long seqHi;
    private long oseqLo;
    private long oseqHi;
    private XfrmToken seqHiToken;
    private XfrmToken oseqHiToken;
    private XfrmToken aeadToken;
    private XfrmToken encToken;
    private XfrmToken authToken;
    private EncryptionAlgorithm encryption;
    private KeyMaterial encryptionKey = KeyMaterial.EMPTY;
    private IntegrityAlgorithm integrity = IntegrityAlgorithm.NONE;
    private KeyMaterial integrityKey = KeyMaterial.EMPTY;
    private int icvBytes = -1;
    private UdpEncapsulation encapsulation;
    private int tfcPad;
    private long softBytes = Long.MAX_VALUE;
    private long softPackets = Long.MAX_VALUE;
    private long softSeconds = Long.MAX_VALUE;
    private long hardBytes = Long.MAX_VALUE;
    private long hardPackets = Long.MAX_VALUE;
    private long hardSeconds = Long.MAX_VALUE;

    /**
     * @param tokens     the SA's words
     * @param start      the word errors about the SA as a whole point at (the {@code ip} of a command,
     *                   the {@code src} of a listing entry)
     * @param familyHint 4 or 6 after {@code ip -4}/{@code ip -6}, else 0
     * @param listing    whether the words come from a listing (a value must then be on its keyword's line)
     */
    XfrmSaReader(String file, List<XfrmToken> tokens, XfrmToken start, int familyHint, boolean listing) {
        this.file = file;
        this.tokens = tokens;
        this.start = start;
        this.familyHint = familyHint;
        this.listing = listing;
    }

    /** The SA, or null after adding its first problem to {@code problems}. */
    Result read(List<ConfigProblem> problems) {
        try {
            while (pos < tokens.size()) {
                clause(tokens.get(pos++));
            }
            return build();
        } catch (ParseStop stop) {
            problems.add(stop.problem);
            return null;
        }
    }

    // ---------------------------------------------------------------- clauses

    private void clause(XfrmToken kw) {
        switch (kw.text()) {
            case "src":
                once(kw);
                source = hostAddress(kw);
                break;
            case "dst":
                once(kw);
                destinationToken = kw;
                destination = hostAddress(kw);
                break;
            case "proto":
                once(kw);
                proto(kw);
                break;
            case "spi":
                once(kw);
                spiToken = kw;
                spi = (int) u32(kw, value(kw, "an SPI"), "an SPI", true);
                break;
            case "reqid":
                once(kw);
                reqid = (int) u32(kw, value(kw, "a REQID"), "a REQID", true);
                break;
            case "mode":
                once(kw);
                mode(kw);
                break;
            case "seq":
                // Key manager's acquire sequence, not an ESP sequence number: checked, then ignored.
                once(kw);
                u32(kw, value(kw, "a SEQ"), "a SEQ", false);
                break;
            case "replay-window":
                replayWindowClause(kw);
                break;
            case "replay-seq":
                once(kw);
                seqLo = u32(kw, value(kw, "a sequence number"), "a sequence number", false);
                break;
            case "replay-oseq":
                once(kw);
                oseqLo = u32(kw, value(kw, "a sequence number"), "a sequence number", false);
                break;
            case "replay-seq-hi":
                once(kw);
                seqHiToken = kw;
                seqHi = u32(kw, value(kw, "a sequence number"), "a sequence number", false);
                break;
            case "replay-oseq-hi":
                once(kw);
                oseqHiToken = kw;
                oseqHi = u32(kw, value(kw, "a sequence number"), "a sequence number", false);
                break;
            case "flag":
                flagClause(kw);
                break;
            case "extra-flag":
            case "extra_flag":
                extraFlagClause(kw);
                break;
            case "sel":
                once(kw);
                selector(kw);
                break;
            case "limit":
                limitClause(kw);
                break;
            case "encap":
                once(kw);
                encap(kw);
                break;
            case "aead":
            case "enc":
            case "auth":
            case "auth-trunc":
                algorithm(kw);
                break;
            case "tfcpad":
                once(kw);
                tfcPadClause(kw);
                break;
            case "dir":
                once(kw);
                oneOf(kw, value(kw, "in or out"), "in", "out");
                break;
            case "offload":
                once(kw);
                offload(kw);
                break;
            case "crypto":
                once(kw);
                cryptoOffloadParameters(kw);
                break;
            case "anti-replay":
                once(kw);
                antiReplay(kw);
                break;
            case "seq-hi":
            case "oseq-hi":
                // "ip xfrm state" of an SA with a direction prints the ESN context without its header.
                once(new XfrmToken("anti-replay", kw.line(), kw.column(), false));
                pos--;
                esnContext();
                break;
            case "lifetime":
                lifetime(kw);
                break;
            case "stats:":
                once(kw);
                stats();
                break;
            case "lastused":
                once(kw);
                timestamp(kw);
                break;
            case "comp":
                throw stop(kw, XfrmIssueCodes.UNSUPPORTED, "comp (IPComp) is not valid with proto esp");
            case "mark":
                throw stop(kw, XfrmIssueCodes.UNSUPPORTED,
                        "mark is not supported (Espline finds inbound SAs by destination and SPI only)");
            case "output-mark":
                throw stop(kw, XfrmIssueCodes.UNSUPPORTED, "output-mark is not supported");
            case "if_id":
                throw stop(kw, XfrmIssueCodes.UNSUPPORTED, "if_id is not supported (Espline has no xfrm interfaces)");
            case "ctx":
            case "security":
                throw stop(kw, XfrmIssueCodes.UNSUPPORTED, "security context (ctx) is not supported");
            case "coa":
                throw stop(kw, XfrmIssueCodes.UNSUPPORTED, "coa is not supported (it belongs to Mobile IPv6, not ESP)");
            case "iptfs-opts":
                throw stop(kw, XfrmIssueCodes.UNSUPPORTED, "iptfs-opts is not supported (mode iptfs is not supported)");
            default:
                throw stop(kw, XfrmIssueCodes.UNKNOWN_TOKEN, "unknown token " + XfrmValues.describe(kw)
                        + " (not an ip xfrm state keyword)");
        }
    }

    private void proto(XfrmToken kw) {
        XfrmToken v = value(kw, "esp");
        if (!v.is("esp")) {
            throw stop(v, XfrmIssueCodes.UNSUPPORTED, "only proto esp is supported (found " + XfrmValues.describe(v) + ")");
        }
        protoSeen = true;
    }

    /** {@code ip} matches abbreviations in this order ({@code xfrm_mode_parse}). */
    private void mode(XfrmToken kw) {
        XfrmToken v = value(kw, "tunnel or transport");
        String m = v.text();
        if (!m.isEmpty() && "transport".startsWith(m)) {
            mode = SaMode.TRANSPORT;
        } else if (!m.isEmpty() && "tunnel".startsWith(m)) {
            mode = SaMode.TUNNEL;
        } else if (m.equals("ro") || m.equals("in_trigger") || m.equals("beet") || m.equals("iptfs")) {
            throw stop(v, XfrmIssueCodes.UNSUPPORTED, "mode " + m + " is not supported (expected tunnel or transport)");
        } else {
            throw stop(v, XfrmIssueCodes.BAD_VALUE, "unknown mode " + XfrmValues.describe(v)
                    + " (expected tunnel or transport)");
        }
    }

    private void replayWindowClause(XfrmToken kw) {
        if (pos < tokens.size() && tokens.get(pos).text().endsWith(",")) {
            // "replay-window 36, bitmap-length 2": the ESN context of an SA with a direction
            once(new XfrmToken("anti-replay", kw.line(), kw.column(), false));
            pos--;
            esnContext();
            return;
        }
        once(kw);
        replayWindow = window(kw, value(kw, "a window size"));
    }

    private long window(XfrmToken kw, XfrmToken v) {
        long w = u32(kw, v, "a window size in packets", false);
        if (w > ReplayLimits.MAX_WINDOW) {
            throw stop(v, XfrmIssueCodes.BAD_VALUE, "replay window " + w + " out of range 0.." + ReplayLimits.MAX_WINDOW);
        }
        return w;
    }

    private void flagClause(XfrmToken kw) {
        int consumed = 0;
        while (pos < tokens.size() && sameLine(kw, tokens.get(pos))) {
            XfrmToken t = tokens.get(pos);
            int bit = flagBit(t.text());
            if (bit != 0) {
                flags |= bit;
            } else if (consumed == 0 && t.text().length() > 2 && t.text().startsWith("0x")) {
                Long v = XfrmValues.parseUnsigned(t.text(), 0xFF);
                if (v == null) {
                    throw stop(t, XfrmIssueCodes.BAD_VALUE, "expected a flag byte (0x00..0xff) but was " + XfrmValues.describe(t));
                }
                flags |= v.intValue();
            } else if (FLAG_MASK.matcher(t.text()).matches()) {
                pos++; // "ip -s" shows the flag byte in binary; the names already said it
                continue;
            } else if (consumed == 0 && !CLAUSE_WORDS.contains(t.text())) {
                throw stop(t, XfrmIssueCodes.BAD_VALUE, "unknown flag " + XfrmValues.describe(t)
                        + " (expected noecn, decap-dscp, nopmtudisc, wildrecv, icmp, af-unspec, align4 or esn)");
            } else {
                break;
            }
            pos++;
            consumed++;
        }
    }

    private static int flagBit(String name) {
        for (int i = 0; i < FLAG_NAMES.length; i++) {
            if (FLAG_NAMES[i].equals(name)) {
                return 1 << i;
            }
        }
        return 0;
    }

    private void extraFlagClause(XfrmToken kw) {
        int consumed = 0;
        while (pos < tokens.size() && sameLine(kw, tokens.get(pos))) {
            XfrmToken t = tokens.get(pos);
            int bits;
            if (t.is("dont-encap-dscp")) {
                bits = 0x1;
            } else if (t.is("oseq-may-wrap")) {
                bits = EXTRA_FLAG_OSEQ_MAY_WRAP;
            } else if (consumed == 0 && t.text().length() > 2 && t.text().startsWith("0x")) {
                Long v = XfrmValues.parseUnsigned(t.text(), XfrmValues.U32_MAX);
                if (v == null) {
                    throw stop(t, XfrmIssueCodes.BAD_VALUE, "expected extra flags (0x hex) but was " + XfrmValues.describe(t));
                }
                bits = v.intValue();
            } else if (consumed == 0 && !CLAUSE_WORDS.contains(t.text())) {
                throw stop(t, XfrmIssueCodes.BAD_VALUE, "unknown extra-flag " + XfrmValues.describe(t)
                        + " (expected dont-encap-dscp or oseq-may-wrap)");
            } else {
                break;
            }
            if ((bits & EXTRA_FLAG_OSEQ_MAY_WRAP) != 0) {
                throw stop(t, XfrmIssueCodes.UNSUPPORTED,
                        "extra-flag oseq-may-wrap is not supported (RFC 4303 section 3.3.3: sequence numbers must not cycle)");
            }
            pos++;
            consumed++;
        }
    }

    /** {@code sel SELECTOR}: the SA's traffic selector. Checked for form, then ignored. */
    private void selector(XfrmToken kw) {
        int parts = 0;
        while (pos < tokens.size() && sameLine(kw, tokens.get(pos)) && SELECTOR_WORDS.contains(tokens.get(pos).text())) {
            XfrmToken part = tokens.get(pos++);
            switch (part.text()) {
                case "src":
                case "dst":
                    prefix(part, value(part, "an address prefix"));
                    break;
                case "dev":
                    value(part, "a device name");
                    break;
                case "proto":
                    value(part, "a protocol"); // a name from /etc/protocols or a number; not resolvable here
                    break;
                case "sport":
                case "dport":
                    port(part, value(part, "a port"));
                    break;
                case "type":
                case "code":
                    number(part, value(part, "a number 0..255"), 0xFF, "a number 0..255");
                    break;
                case "key":
                    XfrmToken key = value(part, "a GRE key");
                    if (XfrmValues.parseAddress(key.text()) == null) {
                        number(part, key, XfrmValues.U32_MAX, "a GRE key (number or dotted quad)");
                    }
                    break;
                default: // "uid", printed by ip -s
                    number(part, value(part, "a uid"), XfrmValues.U32_MAX, "a uid");
                    break;
            }
            parts++;
        }
        if (parts == 0) {
            throw stop(kw, XfrmIssueCodes.MISSING_VALUE, "missing selector after 'sel' (expected src, dst, dev or proto)");
        }
    }

    private void prefix(XfrmToken kw, XfrmToken v) {
        String text = v.text();
        int slash = text.indexOf('/');
        InetAddress a = XfrmValues.parseAddress(slash < 0 ? text : text.substring(0, slash));
        if (a == null) {
            throw stop(v, XfrmIssueCodes.BAD_VALUE, "expected an address prefix after '" + kw.text() + "' but was "
                    + XfrmValues.describe(v));
        }
        if (slash >= 0) {
            Long len = XfrmValues.parseUnsigned(text.substring(slash + 1), XfrmValues.addressBits(a));
            if (len == null || text.substring(slash + 1).startsWith("0x")) {
                throw stop(v, XfrmIssueCodes.BAD_VALUE, "prefix length in " + XfrmValues.describe(v)
                        + " out of range 0.." + XfrmValues.addressBits(a));
            }
        }
    }

    private void limitClause(XfrmToken kw) {
        XfrmToken which = value(kw, "a LIMIT (time-soft, time-hard, byte-soft, byte-hard, packet-soft or packet-hard)");
        XfrmToken v;
        switch (which.text()) {
            case "time-soft":
            case "time-hard":
            case "time-use-soft":
            case "time-use-hard":
            case "byte-soft":
            case "byte-hard":
            case "packet-soft":
            case "packet-hard":
                once(new XfrmToken("limit " + which.text(), which.line(), which.column(), false));
                v = value(which, "a number");
                break;
            default:
                throw stop(which, XfrmIssueCodes.BAD_VALUE, "unknown limit " + XfrmValues.describe(which)
                        + " (expected time-soft, time-hard, byte-soft, byte-hard, packet-soft or packet-hard)");
        }
        Long n = XfrmValues.parseUnsigned(v.text(), XfrmValues.XFRM_INF);
        if (n == null) {
            throw stop(v, XfrmIssueCodes.BAD_VALUE, "expected an unsigned 64-bit number after '" + which.text()
                    + "' but was " + XfrmValues.describe(v));
        }
        setLimit(which.text(), v, n);
    }

    /** Applies one limit as Linux means it: 0 seconds is no limit, ~0 bytes/packets is no limit. */
    private void setLimit(String which, XfrmToken at, long n) {
        switch (which) {
            case "time-soft":
                softSeconds = seconds(n);
                break;
            case "time-hard":
                hardSeconds = seconds(n);
                break;
            case "byte-soft":
                softBytes = volume(which, at, n);
                break;
            case "byte-hard":
                hardBytes = volume(which, at, n);
                break;
            case "packet-soft":
                softPackets = volume(which, at, n);
                break;
            case "packet-hard":
                hardPackets = volume(which, at, n);
                break;
            default: // time-use-soft, time-use-hard
                if (n != 0) {
                    throw stop(at, XfrmIssueCodes.UNSUPPORTED, which + " is not supported: Espline expires SAs by age"
                            + " (time-soft/time-hard), not by idle time");
                }
                break;
        }
    }

    private static long seconds(long n) {
        return n == 0 || Long.compareUnsigned(n, Long.MAX_VALUE) >= 0 ? Long.MAX_VALUE : n;
    }

    private long volume(String which, XfrmToken at, long n) {
        if (n == 0) {
            throw stop(at, XfrmIssueCodes.BAD_VALUE, which + " 0 would expire the SA at its first packet;"
                    + " leave the limit out for none");
        }
        return Long.compareUnsigned(n, Long.MAX_VALUE) >= 0 ? Long.MAX_VALUE : n;
    }

    /** {@code encap TYPE SPORT DPORT OADDR}, or as listed: {@code encap type TYPE sport N dport N addr A}. */
    private void encap(XfrmToken kw) {
        XfrmToken first = value(kw, "an ENCAP-TYPE (espinudp)");
        boolean listed = first.is("type");
        XfrmToken type = listed ? value(first, "an ENCAP-TYPE (espinudp)") : first;
        if (type.is("espinudp-nonike") || type.is("espintcp")) {
            throw stop(type, XfrmIssueCodes.UNSUPPORTED, "encap " + type.text()
                    + " is not supported (only espinudp, RFC 3948)");
        }
        if (!type.is("espinudp")) {
            throw stop(type, XfrmIssueCodes.BAD_VALUE, "unknown encap type " + XfrmValues.describe(type)
                    + " (expected espinudp)");
        }
        int sport = port(kw, value(listed ? word(kw, "sport") : kw, "SPORT"));
        int dport = port(kw, value(listed ? word(kw, "dport") : kw, "DPORT"));
        XfrmToken oa = value(listed ? word(kw, "addr") : kw, "OADDR");
        InetAddress original = XfrmValues.parseAddress(oa.text());
        if (original == null) {
            throw stop(oa, XfrmIssueCodes.BAD_VALUE, "expected the original address (OADDR) but was " + XfrmValues.describe(oa));
        }
        encapsulation = new UdpEncapsulation(sport, dport, XfrmValues.isAnyAddress(original) ? null : original);
    }

    private void tfcPadClause(XfrmToken kw) {
        XfrmToken v = value(kw, "a length");
        tfcPad = (int) number(kw, v, 65535, "a padding length 0..65535");
    }

    /** {@code offload [crypto|packet] [dev DEV] dir in|out}: where Linux would run the crypto; ignored. */
    private void offload(XfrmToken kw) {
        XfrmToken t = value(kw, "dev DEV or dir DIR");
        if (t.is("crypto") || t.is("packet")) {
            t = value(kw, "dev DEV or dir DIR");
        }
        if (t.is("dev")) {
            value(t, "a device name");
            t = value(kw, "dir DIR");
        }
        if (!t.is("dir")) {
            throw stop(t, XfrmIssueCodes.BAD_VALUE, "expected 'dir' in offload but was " + XfrmValues.describe(t));
        }
        oneOf(t, value(t, "in or out"), "in", "out");
    }

    /** Listing: {@code crypto offload parameters: dev DEV dir in|out [mode crypto|packet]}; ignored. */
    private void cryptoOffloadParameters(XfrmToken kw) {
        word(kw, "offload");
        XfrmToken p = word(kw, "parameters:");
        value(word(p, "dev"), "a device name");
        oneOf(kw, value(word(p, "dir"), "in or out"), "in", "out");
        if (peekIs("mode")) {
            XfrmToken m = tokens.get(pos++);
            oneOf(m, value(m, "crypto or packet"), "crypto", "packet");
        }
    }

    // ------------------------------------------------------------ listing-only

    /** {@code anti-replay context: seq 0x0, oseq 0x0, bitmap 0x00000000} or {@code anti-replay esn context:}. */
    private void antiReplay(XfrmToken kw) {
        XfrmToken t = value(kw, "context: or esn context:");
        if (t.is("esn")) {
            word(t, "context:");
            esnContext();
            return;
        }
        if (!t.is("context:")) {
            throw stop(t, XfrmIssueCodes.BAD_VALUE, "expected 'context:' or 'esn context:' but was " + XfrmValues.describe(t));
        }
        while (pos < tokens.size()) {
            XfrmToken sub = tokens.get(pos);
            if (sub.is("seq")) {
                pos++;
                seqLo = contextNumber(sub);
            } else if (sub.is("oseq")) {
                pos++;
                oseqLo = contextNumber(sub);
            } else if (sub.is("bitmap")) {
                pos++;
                contextNumber(sub); // which of the last 32 packets were seen; Espline restarts with none
            } else {
                break;
            }
        }
    }

    /**
     * The ESN replay state: {@code seq-hi 0x0, seq 0x10, oseq-hi 0x0, oseq 0x20} then
     * {@code replay_window 128, bitmap-length 4} and the bitmap words. Sets both sequence numbers and the
     * window (the SA's {@code replay-window} is 0 when this context holds the real one).
     */
    private void esnContext() {
        while (pos < tokens.size() && ESN_CONTEXT_WORDS.contains(tokens.get(pos).text())) {
            XfrmToken sub = tokens.get(pos++);
            switch (sub.text()) {
                case "seq-hi":
                    seqHiToken = sub;
                    seqHi = contextNumber(sub);
                    break;
                case "seq":
                    seqLo = contextNumber(sub);
                    break;
                case "oseq-hi":
                    oseqHiToken = sub;
                    oseqHi = contextNumber(sub);
                    break;
                case "oseq":
                    oseqLo = contextNumber(sub);
                    break;
                case "bitmap-length":
                    bitmapWords(sub, contextNumber(sub));
                    break;
                default: // replay_window, or replay-window in the form with a direction
                    XfrmToken v = value(sub, "a window size");
                    replayWindow = window(sub, stripComma(v));
                    break;
            }
        }
    }

    private void bitmapWords(XfrmToken kw, long count) {
        for (long i = 0; i < count; i++) {
            if (pos >= tokens.size() || !BITMAP_WORD.matcher(tokens.get(pos).text()).matches()) {
                XfrmToken at = pos < tokens.size() ? tokens.get(pos) : kw;
                throw stop(at, XfrmIssueCodes.BAD_VALUE, "expected " + count + " bitmap words (8 hex digits each) after"
                        + " 'bitmap-length " + count + "' but found " + i);
            }
            pos++; // which packets inside the window were seen; Espline restarts with none
        }
    }

    private long contextNumber(XfrmToken kw) {
        return u32(kw, stripComma(value(kw, "a number")), "a number", false);
    }

    private static XfrmToken stripComma(XfrmToken t) {
        String s = t.text();
        return s.endsWith(",") ? new XfrmToken(s.substring(0, s.length() - 1), t.line(), t.column(), t.quoted()) : t;
    }

    /** {@code lifetime config:} (the limits, applied) or {@code lifetime current:} (usage, ignored). */
    private void lifetime(XfrmToken kw) {
        XfrmToken t = value(kw, "config: or current:");
        once(new XfrmToken("lifetime " + t.text(), kw.line(), kw.column(), false));
        if (t.is("current:")) {
            lifetimeCurrent(t);
        } else if (t.is("config:")) {
            lifetimeConfig();
        } else {
            throw stop(t, XfrmIssueCodes.BAD_VALUE, "expected 'config:' or 'current:' but was " + XfrmValues.describe(t));
        }
    }

    /**
     * {@code limit: soft (INF)(bytes), hard (INF)(bytes)}, the same for packets, then
     * {@code expire add: soft 0(sec), hard 0(sec)} and {@code expire use: ...}.
     */
    private void lifetimeConfig() {
        while (peekIs("limit:") || peekIs("expire")) {
            XfrmToken kw = tokens.get(pos++);
            String what = "";
            if (kw.is("expire")) {
                XfrmToken phase = value(kw, "add: or use:");
                if (!phase.is("add:") && !phase.is("use:")) {
                    throw stop(phase, XfrmIssueCodes.BAD_VALUE, "expected 'add:' or 'use:' but was " + XfrmValues.describe(phase));
                }
                what = phase.is("add:") ? "time" : "time-use";
            }
            for (String level : new String[] {"soft", "hard"}) {
                XfrmToken v = value(word(kw, level), "a limit such as (INF)(bytes)");
                Matcher m = LIFETIME_VALUE.matcher(v.text());
                if (!m.matches()) {
                    throw stop(v, XfrmIssueCodes.BAD_VALUE, "expected a limit such as (INF)(bytes) or 0(sec) but was "
                            + XfrmValues.describe(v));
                }
                String unit = m.group(2);
                if (kw.is("limit:") == unit.equals("sec")) {
                    throw stop(v, XfrmIssueCodes.BAD_VALUE, "unexpected unit (" + unit + ") in " + XfrmValues.describe(v));
                }
                String which = (kw.is("limit:") ? (unit.equals("bytes") ? "byte" : "packet") : what) + "-" + level;
                long n = m.group(1).equals("(INF)") ? XfrmValues.XFRM_INF : parseDecimal(v, m.group(1));
                setLimit(which, v, n);
            }
        }
    }

    /** On the lines below the header: {@code 0(bytes), 0(packets)} then {@code add 2024-01-01 10:00:00 use -}. */
    private void lifetimeCurrent(XfrmToken kw) {
        for (String unit : new String[] {"bytes", "packets"}) {
            XfrmToken v = following(kw, "a count such as 0(" + unit + ")");
            Matcher m = LIFETIME_COUNT.matcher(v.text());
            if (!m.matches() || !m.group(1).equals(unit)) {
                throw stop(v, XfrmIssueCodes.BAD_VALUE, "expected a count such as 0(" + unit + ") but was " + XfrmValues.describe(v));
            }
        }
        XfrmToken add = following(kw, "'add'");
        if (!add.is("add")) {
            throw stop(add, XfrmIssueCodes.BAD_VALUE, "expected 'add' but was " + XfrmValues.describe(add));
        }
        timestamp(add);
        timestamp(word(add, "use"));
    }

    /** {@code -} or {@code YYYY-MM-DD HH:MM:SS}, as {@code strxf_time} prints it. */
    private void timestamp(XfrmToken kw) {
        XfrmToken v = value(kw, "a time or -");
        if (v.is("-")) {
            return;
        }
        if (!DATE.matcher(v.text()).matches()) {
            throw stop(v, XfrmIssueCodes.BAD_VALUE, "expected a date YYYY-MM-DD or - but was " + XfrmValues.describe(v));
        }
        XfrmToken time = value(kw, "a time HH:MM:SS");
        if (!TIME.matcher(time.text()).matches()) {
            throw stop(time, XfrmIssueCodes.BAD_VALUE, "expected a time HH:MM:SS but was " + XfrmValues.describe(time));
        }
    }

    /** {@code stats:} then {@code replay-window N replay N failed N}: counters, ignored. */
    private void stats() {
        while (peekIs("replay-window") || peekIs("replay") || peekIs("failed")) {
            XfrmToken kw = tokens.get(pos++);
            u32(kw, value(kw, "a count"), "a count", false);
        }
    }

    // ------------------------------------------------------------ algorithms

    /**
     * {@code aead NAME KEY ICV-BITS}, {@code enc NAME KEY}, {@code auth NAME KEY} or
     * {@code auth-trunc NAME KEY BITS}. Checked left to right: name, key syntax, key length, then length.
     */
    private void algorithm(XfrmToken kw) {
        String type = kw.text();
        checkAlgorithmConflict(kw);
        XfrmToken name = value(kw, "an algorithm name");
        // The kernel lists GMAC among the AEADs, but users (and RFC 4543's "integrity only") write it as
        // auth: 'auth rfc4543(gcm(aes)) KEY 128' reads the same as 'aead rfc4543(gcm(aes)) KEY 128'.
        boolean gmacAsAuth = type.startsWith("auth") && name.text().equals(EncryptionAlgorithm.AES_GMAC.linuxName());
        if (gmacAsAuth && encToken != null) {
            throw stop(kw, XfrmIssueCodes.DUPLICATE, "'" + kw.text() + " " + name.text() + "' conflicts with 'enc' at "
                    + encToken.line() + ":" + encToken.column() + " (GMAC is a whole transform: no enc with it)");
        }
        if (type.equals("aead") || gmacAsAuth) {
            EncryptionAlgorithm alg = XfrmAlgorithms.aead(name.text());
            if (alg == null) {
                throw unknownAlgorithm(kw, name);
            }
            XfrmToken keyToken = keyWord(kw, name);
            KeyMaterial key = key(keyToken);
            skipKeyBitsAnnotation(keyToken, key);
            XfrmToken icvToken = value(kw, "the ICV length in bits");
            checkEncryptionKey(alg, keyToken, key);
            long bits = u32(kw, icvToken, "the ICV length in bits", false);
            if (bits % 8 != 0 || !alg.acceptsIcvLength((int) (bits / 8))) {
                throw stop(icvToken, XfrmIssueCodes.ICV_LENGTH, alg.linuxName() + ": ICV length " + bits
                        + " bits is invalid (expected " + XfrmAlgorithms.icvBits(alg) + ")");
            }
            encryption = alg;
            encryptionKey = key;
            icvBytes = (int) (bits / 8);
        } else if (type.equals("enc")) {
            EncryptionAlgorithm alg = XfrmAlgorithms.cipher(name.text());
            if (alg == null) {
                throw unknownAlgorithm(kw, name);
            }
            XfrmToken keyToken = keyWord(kw, name);
            KeyMaterial key = key(keyToken);
            skipKeyBitsAnnotation(keyToken, key);
            checkEncryptionKey(alg, keyToken, key);
            encryption = alg;
            encryptionKey = key;
        } else {
            integrityAlgorithm(kw, name, type.equals("auth-trunc"));
        }
    }

    private void integrityAlgorithm(XfrmToken kw, XfrmToken name, boolean trunc) {
        IntegrityAlgorithm alg = XfrmAlgorithms.integrity(name.text());
        if (alg == null) {
            throw unknownAlgorithm(kw, name);
        }
        if (!trunc && alg == IntegrityAlgorithm.HMAC_SHA256_128) {
            throw stop(kw, XfrmIssueCodes.LEGACY_TRUNCATION, "auth 'hmac(sha256)' truncates the ICV to 96 bits"
                    + " in Linux (pre-RFC 4868); use auth-trunc 'hmac(sha256)' KEY 128");
        }
        XfrmToken keyToken = keyWord(kw, name);
        KeyMaterial key = key(keyToken);
        skipKeyBitsAnnotation(keyToken, key);
        XfrmToken bitsToken = trunc ? value(kw, "the truncation length in bits") : null;
        if (key.length() != alg.keyLength()) {
            throw stop(keyToken, XfrmIssueCodes.KEY_LENGTH, alg.linuxName() + ": key is " + key.length()
                    + " bytes (expected " + alg.keyLength() + ")");
        }
        int bytes = alg.defaultIcvLength(); // what Linux uses for "auth": 96 bits for SHA-1, RFC 4868 for SHA-384/512
        if (trunc) {
            long bits = u32(kw, bitsToken, "the truncation length in bits", false);
            if (bits != bytes * 8L) {
                throw stop(bitsToken, XfrmIssueCodes.ICV_LENGTH, alg.linuxName() + ": truncation " + bits
                        + " bits is invalid (expected " + bytes * 8 + ", " + rfcOf(alg) + ")");
            }
        }
        integrity = alg;
        integrityKey = key;
        icvBytes = bytes;
    }

    /** {@code ip} allows one aead, or one enc plus one auth/auth-trunc. */
    private void checkAlgorithmConflict(XfrmToken kw) {
        XfrmToken earlier;
        switch (kw.text()) {
            case "aead":
                earlier = aeadToken != null ? aeadToken : encToken != null ? encToken : authToken;
                aeadToken = kw;
                break;
            case "enc":
                earlier = aeadToken != null ? aeadToken : encToken;
                encToken = kw;
                break;
            default:
                earlier = aeadToken != null ? aeadToken : authToken;
                authToken = kw;
                break;
        }
        if (earlier != null) {
            throw stop(kw, XfrmIssueCodes.DUPLICATE, "'" + kw.text() + "' conflicts with '" + earlier.text() + "' at "
                    + earlier.line() + ":" + earlier.column() + " (an SA has one aead, or one enc and one auth)");
        }
    }

    private ParseStop unknownAlgorithm(XfrmToken kw, XfrmToken name) {
        String n = name.text();
        String type = kw.text();
        if (!type.equals("aead") && XfrmAlgorithms.aead(n) != null) {
            return stop(name, XfrmIssueCodes.UNKNOWN_ALGORITHM, n + " is an AEAD transform; write aead '" + n
                    + "' KEY ICV-BITS");
        }
        if (type.equals("aead") && (XfrmAlgorithms.cipher(n) != null || XfrmAlgorithms.integrity(n) != null)) {
            return stop(name, XfrmIssueCodes.UNKNOWN_ALGORITHM, n + " is not an AEAD transform; write "
                    + (XfrmAlgorithms.cipher(n) != null ? "enc" : "auth-trunc") + " '" + n + "' ...");
        }
        if (!type.equals("aead") && XfrmAlgorithms.linuxOnly(type.equals("enc") ? "enc" : "auth", n)) {
            return stop(name, XfrmIssueCodes.UNSUPPORTED, type + " algorithm '" + n + "' is not supported by Espline"
                    + " (supported: " + XfrmAlgorithms.supported(type) + ")");
        }
        return stop(name, XfrmIssueCodes.UNKNOWN_ALGORITHM, "unknown " + type + " algorithm " + XfrmValues.describe(name)
                + " (supported: " + XfrmAlgorithms.supported(type) + ")");
    }

    private static String rfcOf(IntegrityAlgorithm alg) {
        return alg == IntegrityAlgorithm.HMAC_SHA1_96 ? "RFC 2404" : "RFC 4868";
    }

    private void checkEncryptionKey(EncryptionAlgorithm alg, XfrmToken keyToken, KeyMaterial key) {
        if (!alg.acceptsKeyLength(key.length() - alg.saltLength())) {
            String salt = alg.saltLength() > 0 ? ", cipher key + " + alg.saltLength() + "-byte salt" : "";
            throw stop(keyToken, XfrmIssueCodes.KEY_LENGTH, alg.linuxName() + ": key is " + key.length()
                    + " bytes (expected " + XfrmAlgorithms.keyLengths(alg) + salt + ")");
        }
    }

    /**
     * The key word after an algorithm name. A listing omits an empty key altogether (newer {@code ip})
     * and shows {@code <<Keys hidden>>} under {@code nokeys}.
     */
    private XfrmToken keyWord(XfrmToken kw, XfrmToken name) {
        if (listing && (pos >= tokens.size() || tokens.get(pos).line() != name.line())) {
            return new XfrmToken("", name.line(), name.column() + name.text().length() + 1, true);
        }
        XfrmToken key = value(kw, "the key (0x hex or a string)");
        if (key.is("<<Keys")) {
            throw stop(key, XfrmIssueCodes.KEYS_HIDDEN, "keys are hidden ('ip xfrm state list nokeys');"
                    + " list the SAs without nokeys to read them");
        }
        return key;
    }

    /**
     * Key material as {@code ip} reads it: {@code 0x} and hex digits (whole bytes), otherwise the bytes of
     * the string itself; {@code ""} and {@code 0x} are the empty key. Messages never quote the key.
     */
    private KeyMaterial key(XfrmToken t) {
        String s = t.text();
        if (s.isEmpty() || s.equals("0x")) {
            return KeyMaterial.EMPTY;
        }
        if (s.startsWith("0X")) {
            throw stop(t, XfrmIssueCodes.BAD_KEY, "key starts with '0X', which Linux reads as text, not hex; write '0x'");
        }
        if (!s.startsWith("0x")) {
            return KeyMaterial.of(s.getBytes(StandardCharsets.UTF_8));
        }
        int digits = s.length() - 2;
        if (digits % 2 != 0) {
            throw stop(t, XfrmIssueCodes.BAD_KEY, "key has an odd number of hex digits (" + digits + "); a key is whole bytes");
        }
        byte[] bytes = new byte[digits / 2];
        for (int i = 0; i < bytes.length; i++) {
            int hi = Character.digit(s.charAt(2 + 2 * i), 16);
            int lo = Character.digit(s.charAt(3 + 2 * i), 16);
            if (hi < 0 || lo < 0) {
                int bad = 2 * i + (hi < 0 ? 1 : 2);
                throw stop(t, XfrmIssueCodes.BAD_KEY, "key is not valid hex: digit " + bad + " of " + digits
                        + " is not 0-9 or a-f");
            }
            bytes[i] = (byte) (hi << 4 | lo);
        }
        KeyMaterial key = KeyMaterial.of(bytes);
        Arrays.fill(bytes, (byte) 0);
        return key;
    }

    /** {@code ip -s} follows the key with {@code (160 bits)}; it must agree with the key. */
    private void skipKeyBitsAnnotation(XfrmToken keyToken, KeyMaterial key) {
        if (pos + 1 < tokens.size() && tokens.get(pos + 1).is("bits)")) {
            XfrmToken open = tokens.get(pos);
            Matcher m = BITS_OPEN.matcher(open.text());
            if (m.matches()) {
                if (!m.group(1).equals(Integer.toString(key.length() * 8))) {
                    throw stop(open, XfrmIssueCodes.KEY_LENGTH, "the listing says (" + m.group(1) + " bits) but the key"
                            + " at " + keyToken.line() + ":" + keyToken.column() + " has " + key.length() * 8);
                }
                pos += 2;
            }
        }
    }

    // ---------------------------------------------------------------- build

    private Result build() {
        if (!protoSeen) {
            throw stop(start, XfrmIssueCodes.MISSING, "missing 'proto esp'");
        }
        if (source == null) {
            throw stop(start, XfrmIssueCodes.MISSING, "missing 'src ADDRESS'");
        }
        if (destination == null) {
            throw stop(start, XfrmIssueCodes.MISSING, "missing 'dst ADDRESS'");
        }
        if (spiToken == null) {
            throw stop(start, XfrmIssueCodes.MISSING, "missing 'spi SPI'");
        }
        if ((source instanceof Inet4Address) != (destination instanceof Inet4Address)) {
            throw stop(destinationToken, XfrmIssueCodes.BAD_VALUE, "src " + source.getHostAddress() + " and dst "
                    + destination.getHostAddress() + " are of different address families");
        }
        if (encryption == null) {
            throw stop(start, XfrmIssueCodes.MISSING, "missing algorithm: ESP needs aead NAME KEY ICV-BITS,"
                    + " or enc NAME KEY with auth-trunc NAME KEY BITS");
        }
        boolean esn = (flags & FLAG_ESN) != 0;
        if (!esn && seqHi != 0) {
            throw stop(seqHiToken, XfrmIssueCodes.BAD_VALUE, "a high sequence word needs 'flag esn'");
        }
        if (!esn && oseqHi != 0) {
            throw stop(oseqHiToken, XfrmIssueCodes.BAD_VALUE, "a high sequence word needs 'flag esn'");
        }
        SaConfig.Builder b = SaConfig.builder()
                .source(source)
                .destination(destination)
                .spi(spi)
                .reqid(reqid)
                .mode(mode)
                .encryption(encryption, encryptionKey)
                .integrity(integrity, integrityKey)
                .icvLength(icvBytes)
                .encapsulation(encapsulation)
                .esn(esn)
                .replayWindow((int) replayWindow)
                .inboundSequence(seqHi << 32 | seqLo)
                .outboundSequence(oseqHi << 32 | oseqLo)
                .tfcPadTo(tfcPad);
        try {
            b.softLifetime(new Lifetime(softBytes, softPackets, softSeconds));
            b.hardLifetime(new Lifetime(hardBytes, hardPackets, hardSeconds));
            return new Result(b.build(), start, spiToken);
        } catch (IllegalArgumentException rejected) {
            throw stop(start, XfrmIssueCodes.INVALID_SA, rejected.getMessage());
        }
    }

    // ---------------------------------------------------------------- values

    private InetAddress hostAddress(XfrmToken kw) {
        XfrmToken v = value(kw, "an address");
        String text = v.text();
        int slash = text.indexOf('/');
        InetAddress a = XfrmValues.parseAddress(slash < 0 ? text : text.substring(0, slash));
        if (a == null) {
            boolean name = text.indexOf(':') < 0 && text.chars().anyMatch(Character::isLetter);
            throw stop(v, XfrmIssueCodes.BAD_VALUE, "expected an IPv4 or IPv6 address after '" + kw.text() + "' but was "
                    + XfrmValues.describe(v) + (name ? " (host names are not resolved)" : ""));
        }
        if (slash >= 0 && !text.substring(slash + 1).equals(Integer.toString(XfrmValues.addressBits(a)))) {
            throw stop(v, XfrmIssueCodes.BAD_VALUE, "an SA endpoint is one host: expected /" + XfrmValues.addressBits(a)
                    + " or no prefix but was " + XfrmValues.describe(v));
        }
        int family = a instanceof Inet4Address ? 4 : 6;
        if (familyHint != 0 && family != familyHint) {
            throw stop(v, XfrmIssueCodes.BAD_VALUE, "IPv" + family + " address " + XfrmValues.describe(v)
                    + " in an 'ip -" + familyHint + "' command");
        }
        return a;
    }

    private int port(XfrmToken kw, XfrmToken v) {
        return (int) number(kw, v, XfrmValues.U16_MAX, "a port 0..65535");
    }

    private long number(XfrmToken kw, XfrmToken v, long max, String what) {
        Long n = XfrmValues.parseUnsigned(v.text(), max);
        if (n == null) {
            throw stop(v, XfrmIssueCodes.BAD_VALUE, "expected " + what + " after '" + kw.text() + "' but was "
                    + XfrmValues.describe(v));
        }
        return n;
    }

    /**
     * An unsigned 32-bit value as {@code get_u32} reads it (0x hex, 0 octal, decimal). With
     * {@code annotated}, a listing's {@code ip -s} form {@code 0x00001000(4096)} is accepted too.
     */
    private long u32(XfrmToken kw, XfrmToken v, String what, boolean annotated) {
        XfrmToken plain = v;
        if (annotated && listing) {
            Matcher m = STATS_ANNOTATED.matcher(v.text());
            if (m.matches()) {
                plain = new XfrmToken(m.group(1), v.line(), v.column(), v.quoted());
            }
        }
        return number(kw, plain, XfrmValues.U32_MAX, what + " (0x hex or decimal, at most 4294967295)");
    }

    private long parseDecimal(XfrmToken at, String digits) {
        Long n = XfrmValues.parseUnsigned(digits.length() > 1 ? digits.replaceFirst("^0+(?=.)", "") : digits,
                XfrmValues.XFRM_INF);
        if (n == null) {
            throw stop(at, XfrmIssueCodes.BAD_VALUE, "number out of range in " + XfrmValues.describe(at));
        }
        return n;
    }

    private void oneOf(XfrmToken kw, XfrmToken v, String a, String b) {
        if (!v.is(a) && !v.is(b)) {
            throw stop(v, XfrmIssueCodes.BAD_VALUE, "expected " + a + " or " + b + " after '" + kw.text() + "' but was "
                    + XfrmValues.describe(v));
        }
    }

    // ---------------------------------------------------------------- cursor

    /** The word after {@code kw}; in a listing it must be on the same line. */
    private XfrmToken value(XfrmToken kw, String what) {
        if (pos >= tokens.size() || !sameLine(kw, tokens.get(pos))) {
            throw stop(kw, XfrmIssueCodes.MISSING_VALUE, "missing value after '" + kw.text() + "' (expected " + what + ")");
        }
        return tokens.get(pos++);
    }

    /** The word after {@code kw}, on whatever line (for listing clauses that continue below their header). */
    private XfrmToken following(XfrmToken kw, String what) {
        if (pos >= tokens.size()) {
            throw stop(kw, XfrmIssueCodes.MISSING_VALUE, "missing value after '" + kw.text() + "' (expected " + what + ")");
        }
        return tokens.get(pos++);
    }

    /** The fixed word {@code expected} of a listing clause (sport, dport, addr, soft, hard...). */
    private XfrmToken word(XfrmToken kw, String expected) {
        XfrmToken t = value(kw, "'" + expected + "'");
        if (!t.is(expected)) {
            throw stop(t, XfrmIssueCodes.BAD_VALUE, "expected '" + expected + "' but was " + XfrmValues.describe(t));
        }
        return t;
    }

    private boolean peekIs(String word) {
        return pos < tokens.size() && tokens.get(pos).is(word);
    }

    private boolean sameLine(XfrmToken kw, XfrmToken next) {
        return !listing || next.line() == kw.line();
    }

    private void once(XfrmToken kw) {
        XfrmToken first = seen.putIfAbsent(kw.text(), kw);
        if (first != null) {
            throw stop(kw, XfrmIssueCodes.DUPLICATE, "'" + kw.text() + "' given twice in one SA (first at "
                    + first.line() + ":" + first.column() + ")");
        }
    }

    private ParseStop stop(XfrmToken at, String code, String message) {
        return new ParseStop(new ConfigProblem(file, at.line(), at.column(), code, message));
    }

    /** Unwinds the reader to {@link #read} at the SA's first error. */
    private static final class ParseStop extends RuntimeException {
        private static final long serialVersionUID = 1L;

        private final ConfigProblem problem;

        ParseStop(ConfigProblem problem) {
            super(problem.message(), null, false, false);
            this.problem = problem;
        }
    }
}
