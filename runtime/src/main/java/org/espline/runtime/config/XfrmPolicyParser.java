package org.espline.runtime.config;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import org.espline.runtime.sa.SaMode;

/**
 * Reads {@code ip xfrm policy} text in its two forms, as {@link XfrmStateParser} reads states:
 *
 * <ul>
 *   <li><b>Commands</b>: {@code [sudo] ip [OPTIONS] xfrm policy add|update src P dst P [proto X [sport N] [dport N]]
 *       dir in|out|fwd [priority N] [action allow|block] [tmpl [src A dst A] proto esp [spi N] [reqid N]
 *       mode tunnel|transport [level required|use]]}.</li>
 *   <li><b>Listings</b> as {@code ip xfrm policy} prints them: {@code src P dst P [proto ...]} in column 1, then
 *       indented {@code dir out priority N ptype main}, {@code tmpl src A dst A} and {@code proto esp reqid N mode tunnel}.
 *       Per-socket entries ({@code socket in|out}) are skipped: they belong to a process, not to the SPD.</li>
 * </ul>
 *
 * {@link #split(String)} separates policies from states in a file that holds both, keeping line numbers. Every
 * problem is collected, then thrown as one {@link ConfigException} ({@code file:line:col: message}); the first
 * problem of a policy ends that policy. Stateless and thread-safe.
 */
public final class XfrmPolicyParser {

    /** A file's text split in two, each with the other's lines blanked so positions stay those of the file. */
    public record Split(String states, String policies) {
    }

    public XfrmPolicyParser() {
    }

    /**
     * Separates {@code ip xfrm policy} commands and policy listing entries (a {@code src} line whose indented lines
     * include one starting with {@code dir} or {@code socket}) from everything else, which is left to
     * {@link XfrmStateParser}.
     */
    public static Split split(String text) {
        List<XfrmLine> lines = new XfrmTokenizer(text, "", new ArrayList<>()).tokenize();
        String[] physical = text.split("\n", -1);
        boolean[] policy = new boolean[physical.length + 1];
        for (int i = 0; i < lines.size(); i++) {
            XfrmLine line = lines.get(i);
            if (!line.indented() && line.first().is("src")) {
                int end = i;
                boolean isPolicy = false;
                while (end + 1 < lines.size() && lines.get(end + 1).indented()) {
                    end++;
                    XfrmToken first = lines.get(end).first();
                    isPolicy |= first.is("dir") || first.is("socket");
                }
                if (isPolicy) {
                    mark(policy, line.first().line(), last(lines.get(end)).line());
                }
                i = end;
            } else if (isPolicyCommand(line.tokens())) {
                mark(policy, line.first().line(), last(line).line());
            }
        }
        StringBuilder states = new StringBuilder();
        StringBuilder policies = new StringBuilder();
        for (int n = 0; n < physical.length; n++) {
            if (n > 0) {
                states.append('\n');
                policies.append('\n');
            }
            (policy[n + 1] ? policies : states).append(physical[n]);
        }
        return new Split(states.toString(), policies.toString());
    }

    private static XfrmToken last(XfrmLine line) {
        return line.tokens().get(line.tokens().size() - 1);
    }

    private static void mark(boolean[] policy, int from, int to) {
        for (int l = from; l <= to && l < policy.length; l++) {
            policy[l] = true;
        }
    }

    /** Index of the word after {@code xfrm policy}, or -1 when the line is no policy command. */
    private static int policyVerb(List<XfrmToken> t) {
        int i = 0;
        if (i < t.size() && t.get(i).is("sudo")) {
            i++;
        }
        if (i < t.size() && t.get(i).is("ip")) {
            i++;
            while (i < t.size() && t.get(i).text().startsWith("-")) {
                String o = t.get(i++).text();
                if (o.equals("-f") || o.equals("-family") || o.equals("-n") || o.equals("-netns")) {
                    i++;
                }
            }
        }
        if (i + 1 < t.size() && t.get(i).is("xfrm") && !t.get(i + 1).text().isEmpty()
                && "policy".startsWith(t.get(i + 1).text())) {
            return i + 2;
        }
        return -1;
    }

    private static boolean isPolicyCommand(List<XfrmToken> t) {
        return policyVerb(t) >= 0;
    }

    /** Reads a UTF-8 file's policies; problems name it by {@code fileName}. */
    public List<XfrmPolicy> parse(String text, String fileName) throws ConfigException {
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(fileName, "fileName");
        List<ConfigProblem> problems = new ArrayList<>();
        List<XfrmLine> lines = new XfrmTokenizer(text, fileName, problems).tokenize();
        List<XfrmPolicy> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            XfrmLine line = lines.get(i);
            List<XfrmToken> t = line.tokens();
            if (!line.indented() && line.first().is("src")) {
                List<XfrmToken> block = new ArrayList<>(t);
                boolean broken = line.broken();
                while (i + 1 < lines.size() && lines.get(i + 1).indented()) {
                    block.addAll(lines.get(++i).tokens());
                    broken |= lines.get(i).broken();
                }
                if (!broken) {
                    read(fileName, block, line.first(), problems, out);
                }
                continue;
            }
            int verb = policyVerb(t);
            if (verb < 0) {
                problems.add(problem(fileName, line.first(), XfrmIssueCodes.NOT_AN_SA, "unexpected " + XfrmValues.describe(line.first())
                        + " (expected 'ip xfrm policy add ...' or a policy listing line starting with 'src')"));
                continue;
            }
            if (line.broken()) {
                continue;
            }
            if (verb >= t.size() || !(t.get(verb).is("add") || t.get(verb).is("update"))) {
                XfrmToken at = verb < t.size() ? t.get(verb) : last(line);
                problems.add(problem(fileName, at, XfrmIssueCodes.NOT_AN_SA,
                        "only 'ip xfrm policy add' and 'ip xfrm policy update' are read"
                                + (verb < t.size() ? ", not " + XfrmValues.describe(at) : "")));
                continue;
            }
            if (verb + 1 >= t.size()) {
                problems.add(problem(fileName, t.get(verb), XfrmIssueCodes.MISSING, "nothing after '" + t.get(verb).text()
                        + "' (expected src P dst P dir in|out|fwd ...)"));
                continue;
            }
            read(fileName, t.subList(verb + 1, t.size()), line.first(), problems, out);
        }
        if (!problems.isEmpty()) {
            problems.sort((a, b) -> a.line() != b.line() ? Integer.compare(a.line(), b.line())
                    : Integer.compare(a.column(), b.column()));
            throw new ConfigException(problems);
        }
        return List.copyOf(out);
    }

    private static ConfigProblem problem(String file, XfrmToken at, String code, String message) {
        return new ConfigProblem(file, at.line(), at.column(), code, message);
    }

    private static void read(String file, List<XfrmToken> words, XfrmToken start, List<ConfigProblem> problems,
                             List<XfrmPolicy> out) {
        try {
            XfrmPolicy p = new Reader(file, words, start).read();
            if (p != null) {
                out.add(p);
            }
        } catch (Failure f) {
            problems.add(f.problem);
        }
    }

    /** The first problem of a policy; unwinds its reader. */
    private static final class Failure extends Exception {
        private static final long serialVersionUID = 1L;
        private final transient ConfigProblem problem;

        Failure(ConfigProblem problem) {
            super(problem.message(), null, false, false);
            this.problem = problem;
        }
    }

    /** The words of one policy. Not thread-safe. */
    private static final class Reader {
        private final String file;
        private final List<XfrmToken> words;
        private final XfrmToken start;
        private int pos;

        Reader(String file, List<XfrmToken> words, XfrmToken start) {
            this.file = file;
            this.words = words;
            this.start = start;
        }

        private Failure fail(XfrmToken at, String code, String message) {
            return new Failure(problem(file, at, code, message));
        }

        private XfrmToken value(XfrmToken keyword) throws Failure {
            if (pos >= words.size()) {
                throw fail(keyword, XfrmIssueCodes.MISSING_VALUE, "missing value after '" + keyword.text() + "'");
            }
            return words.get(pos++);
        }

        private long number(XfrmToken keyword, long max) throws Failure {
            XfrmToken v = value(keyword);
            Long n = XfrmValues.parseUnsigned(v.text(), max);
            if (n == null) {
                throw fail(v, XfrmIssueCodes.BAD_VALUE, keyword.text() + ": expected a number up to " + max + " but was "
                        + XfrmValues.describe(v));
            }
            return n;
        }

        private InetAddress address(XfrmToken keyword) throws Failure {
            XfrmToken v = value(keyword);
            InetAddress a = XfrmValues.parseAddress(v.text());
            if (a == null) {
                throw fail(v, XfrmIssueCodes.BAD_VALUE, keyword.text() + ": expected an IP address but was " + XfrmValues.describe(v));
            }
            return a;
        }

        /** {@code ADDR[/LEN]}: the address and the prefix length. */
        private Object[] prefix(XfrmToken keyword) throws Failure {
            XfrmToken v = value(keyword);
            String s = v.text();
            int slash = s.indexOf('/');
            InetAddress a = XfrmValues.parseAddress(slash < 0 ? s : s.substring(0, slash));
            if (a == null) {
                throw fail(v, XfrmIssueCodes.BAD_VALUE, keyword.text() + ": expected a prefix like 10.1.0.0/16 but was "
                        + XfrmValues.describe(v));
            }
            int bits = XfrmValues.addressBits(a);
            int length = bits;
            if (slash >= 0) {
                Long l = XfrmValues.parseUnsigned(s.substring(slash + 1), bits);
                if (l == null || s.substring(slash + 1).startsWith("0") && s.length() - slash > 2) {
                    throw fail(v, XfrmIssueCodes.BAD_VALUE, keyword.text() + ": prefix length must be 0.." + bits + " in "
                            + XfrmValues.describe(v));
                }
                length = (int) (long) l;
            }
            return new Object[] {a, length};
        }

        XfrmPolicy read() throws Failure {
            InetAddress src = null;
            int srcLen = 0;
            InetAddress dst = null;
            int dstLen = 0;
            int proto = 0;
            int sport = XfrmPolicy.ANY_PORT;
            int dport = XfrmPolicy.ANY_PORT;
            XfrmPolicy.Direction dir = null;
            XfrmToken dirToken = null;
            long priority = 0;
            boolean block = false;
            boolean socket = false;
            XfrmPolicy.Template tmpl = null;
            while (pos < words.size()) {
                XfrmToken w = words.get(pos++);
                switch (w.text()) {
                    case "src": {
                        Object[] p = prefix(w);
                        src = (InetAddress) p[0];
                        srcLen = (Integer) p[1];
                        break;
                    }
                    case "dst": {
                        Object[] p = prefix(w);
                        dst = (InetAddress) p[0];
                        dstLen = (Integer) p[1];
                        break;
                    }
                    case "proto": {
                        XfrmToken v = value(w);
                        int n = v.is("any") ? 0 : XfrmPolicy.protocolNumber(v.text());
                        if (n < 0) {
                            Long num = XfrmValues.parseUnsigned(v.text(), 255);
                            if (num == null) {
                                throw fail(v, XfrmIssueCodes.BAD_VALUE, "proto: expected tcp, udp, icmp, ipv6-icmp, sctp, gre or a"
                                        + " number but was " + XfrmValues.describe(v));
                            }
                            n = (int) (long) num;
                        }
                        proto = n;
                        break;
                    }
                    case "sport":
                        sport = (int) number(w, XfrmValues.U16_MAX);
                        break;
                    case "dport":
                        dport = (int) number(w, XfrmValues.U16_MAX);
                        break;
                    case "dir":
                    case "socket": {
                        XfrmToken v = value(w);
                        dirToken = v;
                        socket = w.is("socket");
                        if (v.is("in")) {
                            dir = XfrmPolicy.Direction.IN;
                        } else if (v.is("out")) {
                            dir = XfrmPolicy.Direction.OUT;
                        } else if (v.is("fwd") && !socket) {
                            dir = XfrmPolicy.Direction.FWD;
                        } else {
                            throw fail(v, XfrmIssueCodes.BAD_VALUE, w.text() + ": expected in, out" + (socket ? "" : " or fwd")
                                    + " but was " + XfrmValues.describe(v));
                        }
                        break;
                    }
                    case "priority":
                        priority = number(w, XfrmValues.U32_MAX);
                        break;
                    case "index":
                        number(w, XfrmValues.U32_MAX);
                        break;
                    case "ptype": {
                        XfrmToken v = value(w);
                        if (!v.is("main")) {
                            throw fail(v, XfrmIssueCodes.UNSUPPORTED, "ptype " + XfrmValues.describe(v)
                                    + " is not supported (only the main policy type)");
                        }
                        break;
                    }
                    case "share":
                        value(w);
                        break;
                    case "flag":
                        while (pos < words.size() && (words.get(pos).is("localok") || words.get(pos).is("icmp")
                                || words.get(pos).text().startsWith("0x") || words.get(pos).text().startsWith("("))) {
                            pos++;
                        }
                        break;
                    case "action": {
                        XfrmToken v = value(w);
                        if (v.is("block")) {
                            block = true;
                        } else if (!v.is("allow")) {
                            throw fail(v, XfrmIssueCodes.BAD_VALUE, "action: expected allow or block but was " + XfrmValues.describe(v));
                        }
                        break;
                    }
                    case "tmpl":
                        if (tmpl != null) {
                            throw fail(w, XfrmIssueCodes.UNSUPPORTED, "a second tmpl is not supported (one ESP SA per policy)");
                        }
                        tmpl = template(w);
                        break;
                    default:
                        throw fail(w, XfrmIssueCodes.UNKNOWN_TOKEN, "unexpected " + XfrmValues.describe(w) + " in a policy (expected"
                                + " src, dst, proto, sport, dport, dir, priority, action or tmpl)");
                }
            }
            if (src == null || dst == null) {
                throw fail(start, XfrmIssueCodes.MISSING, "a policy needs both src and dst");
            }
            if (dir == null) {
                throw fail(start, XfrmIssueCodes.MISSING, "a policy needs dir in|out|fwd");
            }
            if (socket) {
                return null;
            }
            if ((src instanceof Inet4Address) != (dst instanceof Inet4Address)) {
                throw fail(start, XfrmIssueCodes.BAD_VALUE, "src " + src.getHostAddress() + " and dst " + dst.getHostAddress()
                        + " are of different IP versions");
            }
            if (block && tmpl != null) {
                throw fail(dirToken, XfrmIssueCodes.BAD_VALUE, "action block with a tmpl: a blocking policy protects nothing");
            }
            return new XfrmPolicy(dir, src, srcLen, dst, dstLen, proto, sport, dport, block, priority, tmpl,
                    start.line(), start.column());
        }

        /** After {@code tmpl}: {@code [src A] [dst A] proto esp [spi N] [reqid N] [mode M] [level L] [share S]}. */
        private XfrmPolicy.Template template(XfrmToken tmplWord) throws Failure {
            InetAddress src = null;
            InetAddress dst = null;
            long spi = 0;
            long reqid = 0;
            SaMode mode = SaMode.TRANSPORT;
            boolean esp = false;
            while (pos < words.size()) {
                XfrmToken w = words.get(pos);
                switch (w.text()) {
                    case "src":
                        pos++;
                        src = address(w);
                        break;
                    case "dst":
                        pos++;
                        dst = address(w);
                        break;
                    case "proto": {
                        pos++;
                        XfrmToken v = value(w);
                        if (!v.is("esp")) {
                            throw fail(v, XfrmIssueCodes.UNSUPPORTED, "tmpl proto " + XfrmValues.describe(v) + " is not supported (only esp)");
                        }
                        esp = true;
                        break;
                    }
                    case "spi":
                        pos++;
                        spi = number(w, XfrmValues.U32_MAX);
                        break;
                    case "reqid":
                        pos++;
                        reqid = number(w, XfrmValues.U32_MAX);
                        break;
                    case "mode": {
                        pos++;
                        XfrmToken v = value(w);
                        if (v.is("tunnel")) {
                            mode = SaMode.TUNNEL;
                        } else if (v.is("transport")) {
                            mode = SaMode.TRANSPORT;
                        } else {
                            throw fail(v, XfrmIssueCodes.UNSUPPORTED, "tmpl mode: expected tunnel or transport but was " + XfrmValues.describe(v));
                        }
                        break;
                    }
                    case "level":
                    case "share":
                        pos++;
                        value(w);
                        break;
                    default:
                        if (!esp) {
                            throw fail(tmplWord, XfrmIssueCodes.MISSING, "tmpl needs 'proto esp'");
                        }
                        return finish(tmplWord, src, dst, spi, reqid, mode);
                }
            }
            if (!esp) {
                throw fail(tmplWord, XfrmIssueCodes.MISSING, "tmpl needs 'proto esp'");
            }
            return finish(tmplWord, src, dst, spi, reqid, mode);
        }

        private static XfrmPolicy.Template finish(XfrmToken at, InetAddress src, InetAddress dst, long spi, long reqid, SaMode mode) {
            return new XfrmPolicy.Template(src == null || src.isAnyLocalAddress() ? null : src,
                    dst == null || dst.isAnyLocalAddress() ? null : dst, (int) spi, (int) reqid, mode, at.line(), at.column());
        }
    }
}
