package org.espline.runtime.pcap;

/** The tcpdump.org LINKTYPE_* values Espline reads: what link-layer header precedes the IP packet in a record. */
public final class PcapLinkType {
    /** Ethernet II, 14-byte header, with any number of 802.1Q/802.1ad tags. */
    public static final int ETHERNET = 1;
    /** Raw IP: the record starts with an IPv4 or IPv6 header, told apart by the version nibble. */
    public static final int RAW = 101;
    /** Linux "cooked" capture v1 (tcpdump -i any): 16-byte header, protocol type at byte 14. */
    public static final int LINUX_SLL = 113;
    /** Raw IPv4 only. */
    public static final int IPV4 = 228;
    /** Raw IPv6 only. */
    public static final int IPV6 = 229;

    private PcapLinkType() {
    }

    public static boolean isSupported(int linkType) {
        return linkType == ETHERNET || linkType == RAW || linkType == LINUX_SLL || linkType == IPV4 || linkType == IPV6;
    }

    /** Name for messages; the number for anything unsupported. */
    public static String name(int linkType) {
        switch (linkType) {
            case ETHERNET: return "Ethernet";
            case RAW: return "raw IP";
            case LINUX_SLL: return "Linux SLL";
            case IPV4: return "raw IPv4";
            case IPV6: return "raw IPv6";
            default: return "link type " + linkType;
        }
    }
}
