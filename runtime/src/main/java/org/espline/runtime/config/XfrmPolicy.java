package org.espline.runtime.config;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

import org.espline.runtime.sa.SaMode;

/**
 * One {@code ip xfrm policy}: a selector (prefixes, protocol, single ports as {@code ip} has them), a direction,
 * a priority (lower wins, as in Linux), {@code action allow|block} and, for protected traffic, the template that
 * names the SA by reqid (and SPI or endpoints where given). {@code line}/{@code column} locate it in the file it
 * was read from (0 when it was built, not read).
 */
public record XfrmPolicy(Direction direction, InetAddress source, int sourcePrefix, InetAddress destination,
                         int destinationPrefix, int protocol, int sourcePort, int destinationPort, boolean block,
                         long priority, Template template, int line, int column) {

    /** {@code dir in|out|fwd}. */
    public enum Direction {
        IN, OUT, FWD;

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * {@code tmpl [src A dst A] proto esp [spi N] reqid N mode M}; a null address or SPI 0 / reqid 0 means "any",
     * as in Linux.
     */
    public record Template(InetAddress source, InetAddress destination, int spi, int reqid, SaMode mode,
                           int line, int column) {
        public Template {
            Objects.requireNonNull(mode, "mode");
        }
    }

    /** Port value meaning "any port". */
    public static final int ANY_PORT = -1;

    public XfrmPolicy {
        Objects.requireNonNull(direction, "direction");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(destination, "destination");
        if ((source instanceof Inet4Address) != (destination instanceof Inet4Address)) {
            throw new IllegalArgumentException("selector mixes address families: src " + source.getHostAddress()
                    + " dst " + destination.getHostAddress());
        }
        if (template != null && block) {
            throw new IllegalArgumentException("a blocking policy takes no template");
        }
    }

    /** The selector prefix as {@code ip} prints it: {@code 10.1.0.0/16}, {@code 2001:db8::/32}. */
    public static String prefix(InetAddress a, int length) {
        return address(a) + "/" + length;
    }

    /** IPv4 dotted; IPv6 in RFC 5952 form (the longest run of two or more zero groups as {@code ::}, lower case). */
    public static String address(InetAddress a) {
        if (a instanceof Inet4Address) {
            return a.getHostAddress();
        }
        byte[] b = a.getAddress();
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) {
            g[i] = ((b[2 * i] & 0xFF) << 8) | (b[2 * i + 1] & 0xFF);
        }
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; i++) {
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = Math.max(i, j);
        }
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                s.append("::");
                i += bestLength - 1;
                continue;
            }
            if (s.length() > 0 && s.charAt(s.length() - 1) != ':') {
                s.append(':');
            }
            s.append(Integer.toHexString(g[i]));
        }
        return s.toString();
    }

    /** The IP protocol's name as {@code ip} prints it, or its number. */
    public static String protocolName(int protocol) {
        switch (protocol) {
            case 1:
                return "icmp";
            case 6:
                return "tcp";
            case 17:
                return "udp";
            case 47:
                return "gre";
            case 58:
                return "ipv6-icmp";
            case 132:
                return "sctp";
            default:
                return Integer.toString(protocol);
        }
    }

    /** The IP protocol number of a name {@code ip} accepts, or -1. */
    public static int protocolNumber(String name) {
        switch (name) {
            case "icmp":
                return 1;
            case "tcp":
                return 6;
            case "udp":
                return 17;
            case "gre":
                return 47;
            case "ipv6-icmp":
            case "icmpv6":
                return 58;
            case "sctp":
                return 132;
            default:
                return -1;
        }
    }

    /** This policy as one {@code ip xfrm policy add} command (continued with {@code \} before the template). */
    public String toIpXfrmCommand() {
        List<String> words = new ArrayList<>();
        words.add("ip xfrm policy add src " + prefix(source, sourcePrefix) + " dst " + prefix(destination, destinationPrefix));
        if (protocol != 0) {
            words.add("proto " + protocolName(protocol));
            if (sourcePort != ANY_PORT) {
                words.add("sport " + sourcePort);
            }
            if (destinationPort != ANY_PORT) {
                words.add("dport " + destinationPort);
            }
        }
        words.add("dir " + direction + " priority " + priority + " action " + (block ? "block" : "allow"));
        String line = String.join(" ", words);
        if (template == null) {
            return line + "\n";
        }
        StringBuilder t = new StringBuilder("tmpl");
        if (template.source() != null && template.destination() != null) {
            t.append(" src ").append(address(template.source())).append(" dst ").append(address(template.destination()));
        }
        t.append(" proto esp");
        if (template.spi() != 0) {
            t.append(" spi 0x").append(String.format("%08x", template.spi()));
        }
        t.append(" reqid ").append(Integer.toUnsignedString(template.reqid()))
                .append(" mode ").append(template.mode() == SaMode.TUNNEL ? "tunnel" : "transport");
        return line + " \\\n    " + t + "\n";
    }
}
