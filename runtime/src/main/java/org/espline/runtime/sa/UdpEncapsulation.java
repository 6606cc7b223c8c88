package org.espline.runtime.sa;

import java.net.InetAddress;

/**
 * ESP-in-UDP (RFC 3948): {@code encap espinudp SPORT DPORT OADDR} in {@code ip xfrm}.
 * {@code originalAddress} is the peer's address before NAT (used for transport-mode checksum fix-up), may be null.
 */
public record UdpEncapsulation(int sourcePort, int destinationPort, InetAddress originalAddress) {
    public static final int IKE_NAT_T_PORT = 4500;

    public UdpEncapsulation {
        if (sourcePort < 0 || sourcePort > 0xFFFF || destinationPort < 0 || destinationPort > 0xFFFF) {
            throw new IllegalArgumentException("UDP port out of range 0..65535: sport=" + sourcePort
                    + " dport=" + destinationPort);
        }
    }
}
