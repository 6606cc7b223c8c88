package org.espline.cli.demo;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Objects;

/**
 * Who talks to whom in the demo: addresses the tx model's policy protects (and, if it has one, an address
 * its policy discards), the transport ports, and how much each kind of traffic sends. Ports are chosen so
 * the receiver can tell the flows apart by source port alone.
 */
record Flows(InetAddress source, InetAddress destination, InetAddress blockedDestination,
             int tcpFlows, long tcpBytesPerFlow, int writeSize,
             int udpDatagrams, int udpSize, int icmpEchoes, int icmpSize, int blockedPackets,
             int tcpDestinationPort, int udpDestinationPort) {
    static final int TCP_BASE_PORT = 40000;
    static final int UDP_SOURCE_PORT = 39000;
    static final int ICMP_IDENTIFIER = 0x4553;

    Flows {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(destination, "destination");
        if ((source instanceof Inet4Address) != (destination instanceof Inet4Address)) {
            throw new IllegalArgumentException("source and destination of different families");
        }
    }

    boolean ipv6() { return !(source instanceof Inet4Address); }

    int ipHeader() { return ipv6() ? 40 : 20; }

    /** Writes per TCP flow, the last one possibly short. */
    long writesPerFlow() { return (tcpBytesPerFlow + writeSize - 1) / writeSize; }

    long tcpBytes() { return tcpBytesPerFlow * tcpFlows; }
}
