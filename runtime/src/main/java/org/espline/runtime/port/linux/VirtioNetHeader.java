package org.espline.runtime.port.linux;

/**
 * The virtio-net header in front of every packet on a TUN device opened with {@code IFF_VNET_HDR}
 * ({@code struct virtio_net_hdr}, include/uapi/linux/virtio_net.h), little-endian on the hosts we run on:
 * <pre>
 *   0      1          2         4          6            8             10
 *   +------+----------+---------+----------+------------+-------------+
 *   |flags | gso_type | hdr_len | gso_size | csum_start | csum_offset |
 *   +------+----------+---------+----------+------------+-------------+
 * </pre>
 */
public final class VirtioNetHeader {
    public static final int LENGTH = 10;
    public static final int FLAGS_OFFSET = 0;
    public static final int GSO_TYPE_OFFSET = 1;
    public static final int HDR_LEN_OFFSET = 2;
    public static final int GSO_SIZE_OFFSET = 4;
    public static final int CSUM_START_OFFSET = 6;
    public static final int CSUM_OFFSET_OFFSET = 8;

    /** The checksum at csum_start + csum_offset holds only the pseudo-header sum: the receiver completes it. */
    public static final int F_NEEDS_CSUM = 1;
    public static final int F_DATA_VALID = 2;

    public static final int GSO_NONE = 0;
    public static final int GSO_TCPV4 = 1;
    public static final int GSO_UDP = 3;
    public static final int GSO_TCPV6 = 4;
    public static final int GSO_UDP_L4 = 5;
    public static final int GSO_ECN = 0x80;

    private VirtioNetHeader() {
    }
}
