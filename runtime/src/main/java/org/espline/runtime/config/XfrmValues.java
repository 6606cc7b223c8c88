package org.espline.runtime.config;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Value syntax shared by the parser: numbers as {@code ip}'s {@code get_u32}/{@code get_u64} read them
 * ({@code strtoul} base 0), literal addresses (never a DNS lookup), and the redaction rule for echoing
 * a word in a message.
 */
final class XfrmValues {
    static final long U16_MAX = 0xFFFFL;
    static final long U32_MAX = 0xFFFF_FFFFL;
    /** {@code XFRM_INF}: ~0 as an unsigned 64-bit limit, printed by {@code ip} as "(INF)". */
    static final long XFRM_INF = -1L;

    private XfrmValues() {
    }

    /**
     * Parses an unsigned number the way {@code strtoul(s, &end, 0)} does when the whole word must be
     * consumed: {@code 0x} hex, a leading {@code 0} octal, otherwise decimal. Returns the value as the
     * bits of an unsigned long, or null when malformed or above {@code max} (compared unsigned).
     */
    static Long parseUnsigned(String s, long max) {
        int radix = 10;
        String digits = s;
        if (s.length() > 2 && (s.startsWith("0x") || s.startsWith("0X"))) {
            radix = 16;
            digits = s.substring(2);
        } else if (s.length() > 1 && s.charAt(0) == '0') {
            radix = 8;
            digits = s.substring(1);
        }
        if (digits.isEmpty() || digits.length() > 22) {
            return null;
        }
        for (int i = 0; i < digits.length(); i++) {
            if (Character.digit(digits.charAt(i), radix) < 0) {
                return null;
            }
        }
        long value;
        try {
            value = Long.parseUnsignedLong(digits, radix);
        } catch (NumberFormatException tooBig) {
            return null;
        }
        return Long.compareUnsigned(value, max) <= 0 ? value : null;
    }

    /**
     * A literal IPv4 (dotted quad, no leading zeros, as {@code inet_pton}) or IPv6 address; null if
     * {@code s} is anything else. Host names are refused: no lookup ever happens.
     */
    static InetAddress parseAddress(String s) {
        if (s.indexOf(':') >= 0) {
            return parseIpv6(s);
        }
        return parseIpv4(s);
    }

    private static InetAddress parseIpv4(String s) {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return null;
        }
        byte[] bytes = new byte[4];
        for (int i = 0; i < 4; i++) {
            String p = parts[i];
            if (p.isEmpty() || p.length() > 3 || (p.length() > 1 && p.charAt(0) == '0')) {
                return null;
            }
            int v = 0;
            for (int k = 0; k < p.length(); k++) {
                char c = p.charAt(k);
                if (c < '0' || c > '9') {
                    return null;
                }
                v = v * 10 + (c - '0');
            }
            if (v > 255) {
                return null;
            }
            bytes[i] = (byte) v;
        }
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException impossible) {
            throw new AssertionError(impossible);
        }
    }

    private static InetAddress parseIpv6(String s) {
        if (Character.digit(s.charAt(0), 16) < 0 && s.charAt(0) != ':') {
            return null; // InetAddress would fall back to a name lookup
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.digit(c, 16) < 0 && c != ':' && c != '.') {
                return null; // no zone ids, no brackets, no names
            }
        }
        try {
            // A string with ':' is only ever parsed as an IPv6 literal by InetAddress (no lookup).
            InetAddress a = InetAddress.getByName(s);
            return a instanceof Inet6Address ? a : null; // IPv4-mapped forms come back as Inet4Address
        } catch (UnknownHostException malformed) {
            return null;
        }
    }

    static boolean isAnyAddress(InetAddress a) {
        return a.isAnyLocalAddress();
    }

    static int addressBits(InetAddress a) {
        return a instanceof Inet4Address ? 32 : 128;
    }

    /**
     * A word as it may appear in a message. Words that could be key material are described, not shown:
     * hex longer than any 64-bit number, anything longer than 64 characters, and quoted strings of 16 or
     * more characters that do not look like an algorithm name.
     */
    static String describe(XfrmToken t) {
        String s = t.text();
        if (s.isEmpty()) {
            return "''";
        }
        if (s.length() > 18 && (s.startsWith("0x") || s.startsWith("0X"))) {
            return "<" + (s.length() - 2) + "-digit hex value, not shown>";
        }
        if (s.length() > 64 || (t.quoted() && s.length() >= 16 && s.indexOf('(') < 0)) {
            return "<" + s.length() + "-character word, not shown>";
        }
        return "'" + s + "'";
    }
}
