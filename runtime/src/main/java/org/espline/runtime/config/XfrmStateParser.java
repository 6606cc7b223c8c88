package org.espline.runtime.config;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.espline.runtime.sa.SaConfig;

/**
 * Reads ESP SAs written in Linux {@code ip xfrm state} syntax, in either of the two forms people have:
 *
 * <ul>
 *   <li><b>Commands</b>, one SA per logical line: {@code ip [-4|-6|-s|-d|-f F|-n NS] xfrm state add|update ...},
 *       also {@code sudo ip ...} and the {@code xfrm state add ...} lines of an {@code ip -batch} file.
 *       Abbreviations are matched as {@code ip} matches them ({@code ip x s a}). Shell quoting, {@code \}
 *       continuations and {@code #} comments work as in a shell script.</li>
 *   <li><b>Listings</b> as {@code ip xfrm state} and {@code ip -s xfrm state} print them: an SA starts at a
 *       line beginning with {@code src} (column 1 in {@code ip}'s output; an indented copy works too) and
 *       continues over the indented lines below it. A one-line {@code src ... dst ... proto esp ...} without
 *       {@code ip xfrm state add} is read the same way. The one-line output of {@code ip -o} is not read.</li>
 * </ul>
 *
 * Both forms may be mixed in one file. Values mean what they mean to {@code ip} and the kernel: numbers are
 * read as {@code strtoul} base 0 (so {@code 010} is octal 8), a key is {@code 0x} hex or the bytes of the
 * word, an absent {@code replay-window} is 0 (no replay protection), {@code limit time-*} 0 is no limit.
 * Where Linux is lenient and a mistake is likely the parser refuses with a precise message: odd-length hex
 * keys, {@code 0X} keys (text to Linux), {@code auth 'hmac(sha256)'} (96-bit ICV), byte/packet limits of 0.
 *
 * <p>Every problem of the file is collected before {@link ConfigException} is thrown (the first per SA,
 * since later words of a broken SA are usually noise). Two SAs with the same destination and SPI are an
 * error, except that {@code update} replaces an SA defined earlier in the file. Messages and
 * {@link SaConfig#toString()} never contain key material.
 *
 * <p>Stateless and thread-safe.
 */
public final class XfrmStateParser {

    public XfrmStateParser() {
    }

    /** Reads a UTF-8 file; problems name it by {@code file.toString()}. */
    public List<SaConfig> parse(Path file) throws IOException, ConfigException {
        return parse(Files.readString(file), file.toString());
    }

    /**
     * @param text     the file content
     * @param fileName the name problems carry ({@code fileName:line:col: message})
     * @return the SAs in file order (an {@code update} keeps the position of the SA it replaces)
     * @throws ConfigException with every problem found, if there is any
     */
    public List<SaConfig> parse(String text, String fileName) throws ConfigException {
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(fileName, "fileName");
        List<ConfigProblem> problems = new ArrayList<>();
        List<XfrmLine> lines = new XfrmTokenizer(text, fileName, problems).tokenize();
        Collector sas = new Collector(fileName, problems);

        List<XfrmToken> block = null;
        boolean blockBroken = false;
        boolean skipping = false;
        for (XfrmLine line : lines) {
            XfrmToken first = line.first();
            if (isCommandStart(first)) {
                sas.listing(block, blockBroken);
                block = null;
                skipping = false;
                if (!line.broken()) {
                    command(line, fileName, problems, sas);
                }
            } else if (first.is("src")) { // column 1 in ip's output; also accepted indented (pasted listings)
                sas.listing(block, blockBroken);
                block = new ArrayList<>(line.tokens());
                blockBroken = line.broken();
                skipping = false;
            } else if (line.indented() && block != null) {
                block.addAll(line.tokens());
                blockBroken |= line.broken();
            } else if (!(line.indented() && skipping)) {
                sas.listing(block, blockBroken);
                block = null;
                skipping = true; // the indented lines that follow belong to this unknown entry
                problems.add(new ConfigProblem(fileName, first.line(), first.column(), XfrmIssueCodes.NOT_AN_SA,
                        "unexpected " + XfrmValues.describe(first) + (line.indented()
                                ? " (indented line outside an SA: an 'ip xfrm state' listing starts an SA with 'src' in column 1)"
                                : " (expected 'ip xfrm state add|update ...' or a listing line starting with 'src')")));
            }
        }
        sas.listing(block, blockBroken);
        if (!problems.isEmpty()) {
            problems.sort((a, b) -> a.line() != b.line() ? Integer.compare(a.line(), b.line())
                    : Integer.compare(a.column(), b.column()));
            throw new ConfigException(problems);
        }
        return sas.configs();
    }

    private static boolean isCommandStart(XfrmToken first) {
        return first.is("ip") || first.is("sudo") || first.is("xfrm");
    }

    /** {@code [sudo] [ip [OPTIONS]] xfrm state add|update BODY}, then BODY as one SA. */
    private static void command(XfrmLine line, String file, List<ConfigProblem> problems, Collector sas) {
        List<XfrmToken> t = line.tokens();
        int i = 0;
        int family = 0;
        if (t.get(i).is("sudo")) {
            i++;
        }
        boolean ip = i < t.size() && t.get(i).is("ip");
        if (ip) {
            i++;
            while (i < t.size() && t.get(i).text().startsWith("-")) {
                XfrmToken opt = t.get(i++);
                switch (opt.text()) {
                    case "-4":
                        family = 4;
                        break;
                    case "-6":
                        family = 6;
                        break;
                    case "-f":
                    case "-family":
                        if (i >= t.size() || !(t.get(i).is("inet") || t.get(i).is("inet6"))) {
                            notAnSa(problems, file, i < t.size() ? t.get(i) : opt, "expected inet or inet6 after '" + opt.text() + "'");
                            return;
                        }
                        family = t.get(i++).is("inet") ? 4 : 6;
                        break;
                    case "-n":
                    case "-netns":
                        if (i >= t.size()) {
                            notAnSa(problems, file, opt, "missing namespace name after '" + opt.text() + "'");
                            return;
                        }
                        i++; // the namespace does not change what the SA is
                        break;
                    case "-s":
                    case "-stats":
                    case "-statistics":
                    case "-d":
                    case "-details":
                        break;
                    default:
                        notAnSa(problems, file, opt, "unsupported ip option " + XfrmValues.describe(opt)
                                + " (expected -4, -6, -f, -n, -s or -d)");
                        return;
                }
            }
        }
        if (!expect(t, i, "xfrm", null, problems, file, "'xfrm'")) {
            return;
        }
        i++;
        if (!expect(t, i, "state", "sa", problems, file, "'state' (only SAs are read, not policies)")) {
            return;
        }
        i++;
        boolean update;
        if (expect(t, i, "add", null, null, file, null)) {
            update = false;
        } else if (expect(t, i, "update", null, null, file, null)) {
            update = true;
        } else {
            XfrmToken at = i < t.size() ? t.get(i) : t.get(t.size() - 1);
            notAnSa(problems, file, at, "only 'ip xfrm state add' and 'ip xfrm state update' are read"
                    + (i < t.size() ? ", not " + XfrmValues.describe(at) : ""));
            return;
        }
        XfrmToken verb = t.get(i++);
        if (i >= t.size()) {
            problems.add(new ConfigProblem(file, verb.line(), verb.column(), XfrmIssueCodes.MISSING,
                    "nothing after '" + verb.text() + "' (expected src, dst, proto esp, spi, ...)"));
            return;
        }
        XfrmSaReader.Result r = new XfrmSaReader(file, t.subList(i, t.size()), line.first(), family, false).read(problems);
        if (r != null) {
            sas.add(r, update);
        }
    }

    /** Whether {@code t[i]} abbreviates {@code word} (or {@code alias}), as {@code ip}'s matches() does. */
    private static boolean expect(List<XfrmToken> t, int i, String word, String alias, List<ConfigProblem> problems,
            String file, String what) {
        if (i < t.size()) {
            String s = t.get(i).text();
            if (!s.isEmpty() && (word.startsWith(s) || (alias != null && alias.startsWith(s)))) {
                return true;
            }
        }
        if (problems != null) {
            XfrmToken at = i < t.size() ? t.get(i) : t.get(t.size() - 1);
            notAnSa(problems, file, at, "expected " + what + (i < t.size() ? " but was " + XfrmValues.describe(at)
                    : " after " + XfrmValues.describe(at)));
        }
        return false;
    }

    private static void notAnSa(List<ConfigProblem> problems, String file, XfrmToken at, String message) {
        problems.add(new ConfigProblem(file, at.line(), at.column(), XfrmIssueCodes.NOT_AN_SA, message));
    }

    /** The SAs read so far, keyed by what identifies an SA on receipt: destination and SPI. */
    private static final class Collector {
        private final String file;
        private final List<ConfigProblem> problems;
        private final List<XfrmSaReader.Result> results = new ArrayList<>();
        private final Map<SaKey, Integer> index = new HashMap<>();

        Collector(String file, List<ConfigProblem> problems) {
            this.file = file;
            this.problems = problems;
        }

        void listing(List<XfrmToken> block, boolean broken) {
            if (block == null || broken) {
                return;
            }
            XfrmSaReader.Result r = new XfrmSaReader(file, block, block.get(0), 0, true).read(problems);
            if (r != null) {
                add(r, false);
            }
        }

        void add(XfrmSaReader.Result r, boolean update) {
            SaKey key = new SaKey(r.config().destination(), r.config().spi());
            Integer at = index.get(key);
            if (at == null) {
                index.put(key, results.size());
                results.add(r);
            } else if (update) {
                results.set(at, r);
            } else {
                XfrmToken first = results.get(at).start();
                XfrmToken spi = r.spiToken();
                problems.add(new ConfigProblem(file, spi.line(), spi.column(), XfrmIssueCodes.DUPLICATE,
                        "duplicate SA: dst " + key.destination().getHostAddress() + " spi 0x"
                                + String.format("%08x", key.spi()) + " is already defined at " + first.line() + ":"
                                + first.column() + " (use 'update' to replace it)"));
            }
        }

        List<SaConfig> configs() {
            List<SaConfig> out = new ArrayList<>(results.size());
            for (XfrmSaReader.Result r : results) {
                out.add(r.config());
            }
            return List.copyOf(out);
        }
    }

    private record SaKey(InetAddress destination, int spi) {
    }
}
