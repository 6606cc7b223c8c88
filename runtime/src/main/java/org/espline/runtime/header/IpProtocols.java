package org.espline.runtime.header;

/**
 * IANA "Assigned Internet Protocol Numbers": the values of the IPv4 Protocol and IPv6 Next Header fields
 * that the data plane looks at.
 */
public final class IpProtocols {
    /** IPv6 Hop-by-Hop Options (RFC 8200 §4.3); only valid directly after the IPv6 header. */
    public static final int HOPOPT = 0;
    public static final int ICMP = 1;
    /** IPv4 encapsulation (IP-in-IP, and the inner header of an ESP tunnel carrying IPv4). */
    public static final int IPV4 = 4;
    public static final int TCP = 6;
    public static final int UDP = 17;
    /** IPv6 encapsulation (the inner header of an ESP tunnel carrying IPv6). */
    public static final int IPV6 = 41;
    /** IPv6 Routing header (RFC 8200 §4.4). */
    public static final int ROUTING = 43;
    /** IPv6 Fragment header (RFC 8200 §4.5), always 8 bytes. */
    public static final int FRAGMENT = 44;
    /** Encapsulating Security Payload (RFC 4303). */
    public static final int ESP = 50;
    /** Authentication Header (RFC 4302); its length counts 4-byte units minus 2. */
    public static final int AH = 51;
    public static final int ICMPV6 = 58;
    /** IPv6 No Next Header (RFC 8200 §4.7): nothing follows. */
    public static final int NONE = 59;
    /** IPv6 Destination Options (RFC 8200 §4.6). */
    public static final int DSTOPTS = 60;

    private IpProtocols() {
    }

    /** Short name for logs and toString, or the decimal number for anything not listed here. */
    public static String name(int protocol) {
        switch (protocol) {
            case HOPOPT: return "HOPOPT";
            case ICMP: return "ICMP";
            case IPV4: return "IPv4";
            case TCP: return "TCP";
            case UDP: return "UDP";
            case IPV6: return "IPv6";
            case ROUTING: return "Routing";
            case FRAGMENT: return "Fragment";
            case ESP: return "ESP";
            case AH: return "AH";
            case ICMPV6: return "ICMPv6";
            case NONE: return "NoNext";
            case DSTOPTS: return "DstOpts";
            default: return Integer.toString(protocol);
        }
    }
}
