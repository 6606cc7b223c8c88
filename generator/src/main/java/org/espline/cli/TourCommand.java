package org.espline.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.espline.runtime.buffer.BufferPool;
import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.config.ConfigException;
import org.espline.runtime.config.XfrmStateParser;
import org.espline.runtime.esp.EspInput;
import org.espline.runtime.esp.EspOutput;
import org.espline.runtime.pcap.PcapReader;
import org.espline.runtime.pcap.PcapRecord;
import org.espline.runtime.pcap.PcapWriter;
import org.espline.runtime.sa.SaConfig;
import org.espline.runtime.sa.SaDatabase;
import org.espline.runtime.sa.SecurityAssociation;
import org.espline.runtime.stats.XfrmCounter;
import org.espline.runtime.stats.XfrmStats;

/**
 * {@code espline tour [--out DIR]}: ESP packet by packet, without a model. Encrypts the bundled capture with each bundled
 * SA, then decrypts what it wrote plus three packets an attacker or a broken path would add (a replay,
 * a flipped bit, an unknown SPI) and shows that the plaintext comes back byte for byte while each bad
 * packet is dropped under its Linux counter.
 */
final class TourCommand {
    private final PrintStream out;
    private final PrintStream err;

    TourCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    int run(List<String> args) {
        Path dir = Path.of("target", "espline-tour");
        for (int i = 0; i < args.size(); i++) {
            if (args.get(i).equals("--out") && i + 1 < args.size()) {
                dir = Path.of(args.get(++i));
            } else {
                err.println("espline: usage: espline tour [--out DIR]");
                return 2;
            }
        }
        try {
            return demo(dir);
        } catch (IOException | ConfigException e) {
            err.println("espline: tour failed: " + e.getMessage());
            return 1;
        }
    }

    private int demo(Path dir) throws IOException, ConfigException {
        Files.createDirectories(dir);
        String saText = resource("sas.xfrm");
        Files.writeString(dir.resolve("sas.xfrm"), saText, StandardCharsets.UTF_8);
        List<SaConfig> configs = new XfrmStateParser().parse(saText, "demo/sas.xfrm");
        List<byte[]> plain = new ArrayList<>();
        try (InputStream in = TourCommand.class.getResourceAsStream("/demo/plain.pcap");
             PcapReader reader = new PcapReader(in, "demo/plain.pcap")) {
            PcapRecord r = new PcapRecord();
            while (reader.next(r)) {
                plain.add(Arrays.copyOfRange(r.data(), r.ipOffset(), r.ipOffset() + r.ipLength()));
            }
        }
        out.println("Espline tour: " + plain.size() + " packets (ICMP, UDP, TCP over IPv4; ICMPv6) through "
                + configs.size() + " SAs; files in " + dir.toAbsolutePath());
        boolean allSame = true;
        for (SaConfig cfg : configs) {
            allSame &= roundTrip(cfg, plain, dir);
        }
        out.println(allSame ? "Result: every delivered packet is identical to the original; every bad packet was dropped and counted."
                : "Result: MISMATCH - see above");
        return allSame ? 0 : 1;
    }

    private boolean roundTrip(SaConfig cfg, List<byte[]> plain, Path dir) throws IOException {
        BufferPool pool = new BufferPool(plain.size() + 4, 128, 2048, 320, 1);
        XfrmStats txStats = new XfrmStats();
        SecurityAssociation tx = new SecurityAssociation(cfg);
        EspOutput output = new EspOutput(txStats);
        List<byte[]> wire = new ArrayList<>();
        for (byte[] p : plain) {
            PacketBuffer b = pool.acquire();
            System.arraycopy(p, 0, b.array(), b.put(p.length), p.length);
            if (output.encapsulate(b, tx) == XfrmCounter.EsplineOutDelivered) {
                wire.add(b.toByteArray());
            }
            b.release();
        }
        String tag = String.format("%08x", cfg.spi());
        writePcap(dir.resolve("esp-" + tag + ".pcap"), wire);

        // What a receiver sees: the good packets plus a replay of one of them, and two fresh packets
        // (new sequence numbers, so the replay check passes) with a flipped bit and an unknown SPI.
        List<byte[]> received = new ArrayList<>(wire);
        received.add(wire.get(2).clone());
        byte[] tampered = encryptOne(pool, output, tx, plain.get(0));
        tampered[tampered.length - 20] ^= 0x01;
        received.add(tampered);
        byte[] unknown = encryptOne(pool, output, tx, plain.get(1));
        int espOff = espOffset(unknown);
        unknown[espOff] ^= (byte) 0x80;
        received.add(unknown);

        SaDatabase sad = new SaDatabase();
        sad.put(new SecurityAssociation(cfg));
        XfrmStats rxStats = new XfrmStats();
        EspInput input = new EspInput(sad, rxStats);
        List<byte[]> delivered = new ArrayList<>();
        for (byte[] p : received) {
            PacketBuffer b = pool.acquire();
            System.arraycopy(p, 0, b.array(), b.put(p.length), p.length);
            if (input.decapsulate(b) == XfrmCounter.EsplineInDelivered) {
                delivered.add(b.toByteArray());
            }
            b.release();
        }
        writePcap(dir.resolve("decrypted-" + tag + ".pcap"), delivered);

        int same = 0;
        for (int i = 0; i < Math.min(plain.size(), delivered.size()); i++) {
            if (Arrays.equals(plain.get(i), delivered.get(i))) {
                same++;
            }
        }
        boolean ok = same == plain.size() && delivered.size() == plain.size()
                && rxStats.get(XfrmCounter.XfrmInStateSeqError) == 1
                && rxStats.get(XfrmCounter.XfrmInStateProtoError) == 1
                && rxStats.get(XfrmCounter.XfrmInNoStates) == 1
                && pool.outstanding() == 0;
        out.println();
        out.println("SA " + cfg);
        out.println("  tx: " + wire.size() + " ESP packets (+2 for the bad-packet test), sequence 1.." + tx.outboundSequence() + ", "
                + pool.stats().copies.sum() + " copies, " + txStats);
        out.println("  rx: " + received.size() + " packets in, " + delivered.size() + " delivered, " + same
                + " identical to the original; " + rxStats);
        return ok;
    }

    private static byte[] encryptOne(BufferPool pool, EspOutput output, SecurityAssociation tx, byte[] p) {
        PacketBuffer b = pool.acquire();
        System.arraycopy(p, 0, b.array(), b.put(p.length), p.length);
        output.encapsulate(b, tx);
        byte[] w = b.toByteArray();
        b.release();
        return w;
    }

    /** Offset of the SPI in an ESP or ESP-in-UDP IPv4/IPv6 packet without extension headers. */
    private static int espOffset(byte[] p) {
        int ip = (p[0] >> 4) == 4 ? (p[0] & 0x0F) * 4 : 40;
        int proto = (p[0] >> 4) == 4 ? p[9] : p[6];
        return proto == 17 ? ip + 8 : ip;
    }

    private static void writePcap(Path file, List<byte[]> packets) throws IOException {
        try (PcapWriter w = new PcapWriter(file)) {
            long t = 1764230400L;
            for (byte[] p : packets) {
                w.write(p, 0, p.length, t++, 0);
            }
        }
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = TourCommand.class.getResourceAsStream("/demo/" + name)) {
            if (in == null) {
                throw new IOException("bundled resource /demo/" + name + " is missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
