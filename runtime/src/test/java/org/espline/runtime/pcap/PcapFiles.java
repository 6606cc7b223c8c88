package org.espline.runtime.pcap;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;

/** Builds pcap files and link-layer frames byte by byte, independently of {@link PcapWriter}. */
final class PcapFiles {
    /** IPv4/UDP 192.0.2.1:4500 -> 198.51.100.2:4500, 39 bytes (scapy-generated). */
    static final byte[] IPV4_UDP = hex("450000271234000040117c5bc0000201c633640211941194001366886573706c696e652d756470");
    /** IPv6/ICMPv6 echo request fe80::1 -> ff02::1, 53 bytes (scapy-generated). */
    static final byte[] IPV6_ICMP = hex("60000000000d3a40fe800000000000000000000000000001ff0200000000000000000000000000"
            + "0180002b184242000770696e6736");
    /** IPv4/ICMP echo request, 36 bytes: an Ethernet frame carrying it needs padding. */
    static final byte[] IPV4_ICMP = hex("45000024000100004001f6c4c0000209c000020a08005557111100026162636465666768");

    private PcapFiles() {
    }

    static byte[] hex(String hex) {
        return HexFormat.of().parseHex(hex);
    }

    /** A classic pcap file under construction. */
    static final class Builder {
        private final ByteArrayOutputStream records = new ByteArrayOutputStream();
        private final int linkTypeField;
        private ByteOrder order = ByteOrder.LITTLE_ENDIAN;
        private int magic = 0xA1B2C3D4;
        private int snapLength = 65535;
        private int versionMajor = 2;

        Builder(int linkTypeField) {
            this.linkTypeField = linkTypeField;
        }

        Builder bigEndian() {
            order = ByteOrder.BIG_ENDIAN;
            return this;
        }

        Builder nanosecond() {
            magic = 0xA1B23C4D;
            return this;
        }

        Builder magic(int magic) {
            this.magic = magic;
            return this;
        }

        Builder snapLength(int snapLength) {
            this.snapLength = snapLength;
            return this;
        }

        Builder versionMajor(int versionMajor) {
            this.versionMajor = versionMajor;
            return this;
        }

        Builder record(long seconds, int fraction, byte[] data) {
            return record(seconds, fraction, data.length, data.length, data);
        }

        /** A record whose header may disagree with its data (caplen != data.length) for corruption tests. */
        Builder record(long seconds, int fraction, int capturedLength, int originalLength, byte[] data) {
            final ByteBuffer header = ByteBuffer.allocate(16).order(order);
            header.putInt((int) seconds).putInt(fraction).putInt(capturedLength).putInt(originalLength);
            records.writeBytes(header.array());
            records.writeBytes(data);
            return this;
        }

        byte[] build() {
            final ByteBuffer header = ByteBuffer.allocate(24).order(order);
            header.putInt(magic).putShort((short) versionMajor).putShort((short) 4).putInt(0).putInt(0)
                    .putInt(snapLength).putInt(linkTypeField);
            final ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes(header.array());
            out.writeBytes(records.toByteArray());
            return out.toByteArray();
        }
    }

    /** Ethernet II: dst, src, then each tag type with a TCI, then the payload's EtherType. */
    static byte[] ethernet(int etherType, byte[] payload, int... tagTypes) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(hex("020000000002" + "020000000001"));
        int vlan = 100;
        for (int tag : tagTypes) {
            out.writeBytes(new byte[] {(byte) (tag >>> 8), (byte) tag, (byte) (vlan >>> 8), (byte) vlan});
            vlan++;
        }
        out.writeBytes(new byte[] {(byte) (etherType >>> 8), (byte) etherType});
        out.writeBytes(payload);
        return out.toByteArray();
    }

    /** Linux cooked v1: packet type, ARPHRD_ETHER, address length 6, 8 address bytes, protocol. */
    static byte[] sll(int protocol, byte[] payload) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(hex("0000" + "0001" + "0006" + "0200000000010000"));
        out.writeBytes(new byte[] {(byte) (protocol >>> 8), (byte) protocol});
        out.writeBytes(payload);
        return out.toByteArray();
    }

    static byte[] pad(byte[] frame, int length) {
        return java.util.Arrays.copyOf(frame, Math.max(frame.length, length));
    }
}
