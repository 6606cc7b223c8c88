package org.espline.dsl.validation;

import java.util.ArrayList;
import java.util.List;

/**
 * An IPv4 or IPv6 address with a prefix length, parsed from the text the IPV4 and IPV6 terminals accept. The terminals
 * check only the shape ({@code 999.1.1.1/99} and {@code 1::2::3} lex), so {@link #parse} checks the value and says
 * what is wrong. An address without {@code /length} is a host prefix (/32 or /128).
 */
final class IpPrefix {

    private final byte[] address;
    private final int length;

    private IpPrefix(byte[] address, int length) {
        this.address = address;
        this.length = length;
    }

    /** 4 for IPv4, 6 for IPv6. */
    int version() {
        return address.length == 4 ? 4 : 6;
    }

    /** Whether every address of {@code other} is in this prefix. */
    boolean contains(IpPrefix other) {
        if (other.address.length != address.length || other.length < length) {
            return false;
        }
        for (int bit = 0; bit < length; bit++) {
            int mask = 0x80 >>> (bit & 7);
            if ((address[bit >>> 3] & mask) != (other.address[bit >>> 3] & mask)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Parses {@code text}.
     *
     * @throws IllegalArgumentException with the reason, e.g. "octet 999 is above 255"
     */
    static IpPrefix parse(String text) {
        int slash = text.indexOf('/');
        String host = slash < 0 ? text : text.substring(0, slash);
        byte[] address = host.indexOf(':') >= 0 ? parseIpv6(host) : parseIpv4(host);
        int max = address.length * 8;
        int length = max;
        if (slash >= 0) {
            String digits = text.substring(slash + 1);
            if (digits.isEmpty() || digits.length() > 3 || !digits.chars().allMatch(Character::isDigit)) {
                throw new IllegalArgumentException("prefix length '" + digits + "' is not a number 0.." + max);
            }
            length = Integer.parseInt(digits);
            if (length > max) {
                throw new IllegalArgumentException("prefix length " + length + " is above " + max);
            }
        }
        return new IpPrefix(address, length);
    }

    private static byte[] parseIpv4(String host) {
        String[] octets = host.split("\\.", -1);
        if (octets.length != 4) {
            throw new IllegalArgumentException("expected 4 octets, found " + octets.length);
        }
        byte[] address = new byte[4];
        for (int i = 0; i < 4; i++) {
            String octet = octets[i];
            if (octet.isEmpty() || octet.length() > 3 || !octet.chars().allMatch(Character::isDigit)) {
                throw new IllegalArgumentException("octet '" + octet + "' is not a number 0..255");
            }
            int value = Integer.parseInt(octet);
            if (value > 255) {
                throw new IllegalArgumentException("octet " + value + " is above 255");
            }
            address[i] = (byte) value;
        }
        return address;
    }

    /** RFC 4291 §2.2: eight groups of up to four hex digits, one '::' for a run of zero groups, a dotted IPv4 tail. */
    private static byte[] parseIpv6(String host) {
        int gap = host.indexOf("::");
        if (gap >= 0 && host.indexOf("::", gap + 1) >= 0) {
            throw new IllegalArgumentException("'::' may appear only once");
        }
        List<Integer> head = groups(gap < 0 ? host : host.substring(0, gap));
        List<Integer> tail = gap < 0 ? List.of() : groups(host.substring(gap + 2));
        int count = head.size() + tail.size();
        if (gap < 0 && count != 8) {
            throw new IllegalArgumentException("expected 8 groups, found " + count);
        }
        if (gap >= 0 && count > 7) {
            throw new IllegalArgumentException("'::' stands for no group: " + count + " groups beside it");
        }
        byte[] address = new byte[16];
        for (int i = 0; i < head.size(); i++) {
            put(address, i, head.get(i));
        }
        for (int i = 0; i < tail.size(); i++) {
            put(address, 8 - tail.size() + i, tail.get(i));
        }
        return address;
    }

    private static List<Integer> groups(String part) {
        List<Integer> groups = new ArrayList<>();
        if (part.isEmpty()) {
            return groups;
        }
        String[] fields = part.split(":", -1);
        for (int i = 0; i < fields.length; i++) {
            String field = fields[i];
            if (i == fields.length - 1 && field.indexOf('.') >= 0) {
                byte[] ipv4 = parseIpv4(field);
                groups.add((ipv4[0] & 0xff) << 8 | ipv4[1] & 0xff);
                groups.add((ipv4[2] & 0xff) << 8 | ipv4[3] & 0xff);
            } else if (field.isEmpty() || field.length() > 4
                    || !field.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
                throw new IllegalArgumentException("group '" + field + "' is not 1 to 4 hex digits");
            } else {
                groups.add(Integer.parseInt(field, 16));
            }
        }
        return groups;
    }

    private static void put(byte[] address, int group, int value) {
        address[2 * group] = (byte) (value >>> 8);
        address[2 * group + 1] = (byte) value;
    }
}
