package org.espline.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import org.espline.dsl.runtime.ModelException;
import org.espline.dsl.runtime.ModelOffloads;
import org.espline.dsl.runtime.ModelSas;
import org.espline.runtime.buffer.BufferPool;
import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.config.ConfigException;
import org.espline.runtime.config.XfrmStateParser;
import org.espline.runtime.esp.EspInput;
import org.espline.runtime.esp.EspOutput;
import org.espline.runtime.offload.AddResult;
import org.espline.runtime.offload.OffloadDecryptStage;
import org.espline.runtime.offload.OffloadDevice;
import org.espline.runtime.offload.OffloadDevices;
import org.espline.runtime.offload.OffloadEncryptStage;
import org.espline.runtime.offload.OffloadSaCounters;
import org.espline.runtime.pcap.PcapFormatException;
import org.espline.runtime.pcap.PcapReader;
import org.espline.runtime.pcap.PcapRecord;
import org.espline.runtime.pcap.PcapWriter;
import org.espline.runtime.pipeline.PacketBatch;
import org.espline.runtime.pipeline.Stage;
import org.espline.runtime.sa.SaConfig;
import org.espline.runtime.sa.SaDatabase;
import org.espline.runtime.sa.SaMode;
import org.espline.runtime.sa.SecurityAssociation;
import org.espline.runtime.stats.XfrmCounter;
import org.espline.runtime.stats.XfrmStats;

/**
 * {@code espline pcap encrypt|decrypt}: runs every IP packet of a capture through ESP output or input
 * with SAs from an {@code ip xfrm state} file or an {@code .espl} model and writes the result as a raw-IP capture.
 */
final class PcapCommand {
    static final String USAGE = String.join("\n",
            "usage: espline pcap encrypt --sa FILE [--spi 0xNNNN] [--offload BACKEND] [--stats-json FILE] IN.pcap OUT.pcap",
            "       espline pcap decrypt --sa FILE [--offload BACKEND] [--stats-json FILE] IN.pcap OUT.pcap",
            "  --sa FILE          SAs in 'ip xfrm state add ...' lines or the 'ip xfrm state' listing,",
            "                     or an Espline model (a file named *.espl, with the files it imports)",
            "  --spi 0xNNNN       the SA to encrypt with (needed when FILE has several)",
            "  --offload BACKEND  run the crypto on an offload backend: software, bouncycastle, accelerator or",
            "                     inline-nic (SAs it refuses, and packets it rejects, go through software, counted",
            "                     as EsplineOffloadFallback); from a model, the SA's own 'offload' target is used",
            "                     unless --offload overrides it",
            "  --stats-json FILE  write the counters (Linux xfrm_stat names) as a JSON object");

    /** Room for outer IPv6 + UDP + ESP + IV in front, and the largest trailer + ICV behind. */
    private static final int HEADROOM = 128;
    private static final int TAILROOM = 320;
    private static final int MAX_PACKET = 65535;

    private final PrintStream out;
    private final PrintStream err;

    PcapCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /** A usage or input problem: printed as one line, exit status 2. */
    static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    int run(List<String> args) {
        try {
            return run0(args);
        } catch (UsageException e) {
            err.println("espline: " + e.getMessage());
            return 2;
        } catch (ConfigException e) {
            err.println(e.getMessage());
            return 2;
        } catch (ModelException e) {
            err.println(e.getMessage());
            return 2;
        } catch (PcapFormatException e) {
            err.println("espline: " + e.getMessage());
            return 2;
        } catch (NoSuchFileException e) {
            err.println("espline: no such file: " + e.getFile());
            return 2;
        } catch (IOException e) {
            err.println("espline: " + e);
            return 2;
        }
    }

    private int run0(List<String> args) throws UsageException, IOException, ConfigException, ModelException {
        if (args.isEmpty() || !(args.get(0).equals("encrypt") || args.get(0).equals("decrypt"))) {
            throw new UsageException("expected 'pcap encrypt' or 'pcap decrypt'\n" + USAGE);
        }
        boolean encrypt = args.get(0).equals("encrypt");
        Path saFile = null;
        Path statsJson = null;
        Integer spi = null;
        String offload = null;
        List<Path> files = new ArrayList<>();
        for (int i = 1; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "--sa":
                    saFile = Path.of(value(args, ++i, a));
                    break;
                case "--stats-json":
                    statsJson = Path.of(value(args, ++i, a));
                    break;
                case "--offload":
                    offload = value(args, ++i, a);
                    if (OffloadDevices.canonicalType(offload) == null || !OffloadDevices.CLI_NAMES.contains(offload)) {
                        throw new UsageException("--offload: '" + offload + "' is not a backend (expected "
                                + String.join(", ", OffloadDevices.CLI_NAMES) + ")");
                    }
                    break;
                case "--spi":
                    if (!encrypt) {
                        throw new UsageException("--spi is for 'pcap encrypt' only (decrypt finds SAs by SPI and destination)");
                    }
                    spi = parseSpi(value(args, ++i, a));
                    break;
                default:
                    if (a.startsWith("-")) {
                        throw new UsageException("unknown option " + a + "\n" + USAGE);
                    }
                    files.add(Path.of(a));
            }
        }
        if (saFile == null) {
            throw new UsageException("--sa FILE is required\n" + USAGE);
        }
        if (files.size() != 2) {
            throw new UsageException("expected IN.pcap and OUT.pcap, got " + files.size() + " file argument(s)\n" + USAGE);
        }
        List<SaConfig> configs = readSas(saFile);
        XfrmStats stats = new XfrmStats();
        SaDatabase sad = new SaDatabase();
        for (SaConfig c : configs) {
            sad.put(new SecurityAssociation(c));
        }
        RunTotals totals;
        OffloadDevice device = offload != null ? OffloadDevices.forCli(offload) : modelOffload(saFile, sad);
        try {
            if (device != null && offload != null) {
                for (SecurityAssociation sa : sad.all()) {
                    AddResult r = device.addState(sa);
                    if (!r.offloaded()) {
                        out.println("offload " + device.name() + ": SA " + sa.config().name() + " goes through software: "
                                + r.reason());
                    }
                }
            } else if (device != null) {
                for (SecurityAssociation sa : sad.all()) {
                    if (!device.holds(sa)) {
                        out.println("offload " + device.name() + ": SA " + sa.config().name()
                                + " goes through software (not offloaded to it)");
                    }
                }
            }
            if (encrypt) {
                SecurityAssociation sa = chooseOutboundSa(sad, spi, saFile);
                totals = device == null ? encrypt(files.get(0), files.get(1), sa, stats)
                        : throughStage(files.get(0), files.get(1), stats, new OffloadEncryptStage(device, stats), sa,
                                XfrmCounter.XfrmOutError);
            } else {
                totals = device == null ? decrypt(files.get(0), files.get(1), sad, stats)
                        : throughStage(files.get(0), files.get(1), stats, new OffloadDecryptStage(device, sad, stats, false),
                                null, XfrmCounter.XfrmInHdrError);
            }
        } finally {
            if (device != null) {
                device.close();
            }
        }
        printSummary(encrypt, totals, stats, sad);
        if (device != null) {
            printDevice(device, sad);
        }
        if (statsJson != null) {
            Files.writeString(statsJson, StatsJson.format(totals.records, totals.written, stats, sad), StandardCharsets.UTF_8);
        }
        return 0;
    }

    private static String value(List<String> args, int i, String option) throws UsageException {
        if (i >= args.size()) {
            throw new UsageException(option + " needs a value");
        }
        return args.get(i);
    }

    private static int parseSpi(String s) throws UsageException {
        try {
            long v = s.startsWith("0x") || s.startsWith("0X") ? Long.parseLong(s.substring(2), 16) : Long.parseLong(s);
            if (v < 0 || v > 0xFFFF_FFFFL) {
                throw new NumberFormatException();
            }
            return (int) v;
        } catch (NumberFormatException e) {
            throw new UsageException("--spi: '" + s + "' is not a 32-bit number (expected e.g. 0x1000)");
        }
    }

    private static List<SaConfig> readSas(Path file) throws IOException, ConfigException, UsageException, ModelException {
        if (file.getFileName() != null && file.getFileName().toString().endsWith(".espl")) {
            if (!Files.isRegularFile(file)) {
                throw new NoSuchFileException(file.toString());
            }
            List<SaConfig> sas = new ModelSas().sas(file);
            if (sas.isEmpty()) {
                throw new UsageException(file + ": no sa in the model or the files it imports");
            }
            return sas;
        }
        String text = Files.readString(file, StandardCharsets.UTF_8);
        List<SaConfig> sas = new XfrmStateParser().parse(text, file.toString());
        if (sas.isEmpty()) {
            throw new UsageException(file + ": no SA found (expected 'ip xfrm state add ...' lines or an 'ip xfrm state' listing)");
        }
        return sas;
    }

    private static SecurityAssociation chooseOutboundSa(SaDatabase sad, Integer spi, Path saFile) throws UsageException {
        if (spi != null) {
            SecurityAssociation sa = sad.lookupBySpi(spi);
            if (sa == null) {
                throw new UsageException("--spi 0x" + Integer.toHexString(spi) + ": no such SA in " + saFile);
            }
            return sa;
        }
        if (sad.size() == 1) {
            return sad.all().get(0);
        }
        throw new UsageException(saFile + " holds " + sad.size() + " SAs: choose one with --spi");
    }

    /** Records read and written, for the summary and JSON. */
    record RunTotals(long records, long written) {
    }

    /** One ESP direction applied to a packet: returns the outcome, already counted. */
    @FunctionalInterface
    private interface EspStep {
        XfrmCounter apply(PacketBuffer packet);
    }

    private RunTotals encrypt(Path in, Path outFile, SecurityAssociation sa, XfrmStats stats) throws IOException {
        EspOutput esp = new EspOutput(stats);
        return transform(in, outFile, stats, b -> esp.encapsulate(b, sa), XfrmCounter.EsplineOutDelivered, XfrmCounter.XfrmOutError);
    }

    private RunTotals decrypt(Path in, Path outFile, SaDatabase sad, XfrmStats stats) throws IOException {
        EspInput esp = new EspInput(sad, stats);
        return transform(in, outFile, stats, esp::decapsulate, XfrmCounter.EsplineInDelivered, XfrmCounter.XfrmInHdrError);
    }

    /**
     * Streams every record of {@code in} through {@code step} and writes the delivered packets. Non-IP
     * records are skipped and counted; an IP packet too big for a buffer is counted as {@code oversize}.
     */
    private static RunTotals transform(Path in, Path outFile, XfrmStats stats, EspStep step, XfrmCounter delivered,
                                       XfrmCounter oversize) throws IOException {
        BufferPool pool = new BufferPool(1, HEADROOM, MAX_PACKET, TAILROOM, 1);
        long records = 0;
        long written = 0;
        try (PcapReader reader = new PcapReader(in); PcapWriter writer = new PcapWriter(outFile)) {
            PcapRecord r = new PcapRecord();
            while (reader.next(r)) {
                records++;
                if (!r.isIp()) {
                    stats.increment(XfrmCounter.EsplineSkippedNotEsp);
                    continue;
                }
                if (r.ipLength() > MAX_PACKET) {
                    stats.increment(oversize);
                    continue;
                }
                PacketBuffer buf = load(pool, r);
                try {
                    if (step.apply(buf) == delivered) {
                        write(writer, buf, r);
                        written++;
                    }
                } finally {
                    buf.release();
                }
            }
        }
        return new RunTotals(records, written);
    }

    /** Packets read per call of an offload stage. */
    private static final int BATCH = 32;

    /**
     * As {@link #transform}, through an offload stage: batches, packets in flight on the device's threads, BUSY
     * answered by holding input back, drained at the end. Outputs keep their record's timestamp.
     */
    private static RunTotals throughStage(Path in, Path outFile, XfrmStats stats, Stage stage, SecurityAssociation sa,
                                          XfrmCounter oversize) throws IOException {
        // Room for a batch, a batch held back, and the device's ring (a model's ring may be deeper: then the device
        // is simply never full here).
        BufferPool pool = new BufferPool(BATCH * 2 + OffloadDevices.CLI_RING * 2, HEADROOM, MAX_PACKET, TAILROOM, 1);
        Map<PacketBuffer, long[]> times = new IdentityHashMap<>();
        PacketBatch batch = new PacketBatch(BATCH);
        PacketBatch done = new PacketBatch(BATCH * 4);
        long records = 0;
        long written = 0;
        try (PcapReader reader = new PcapReader(in); PcapWriter writer = new PcapWriter(outFile)) {
            PcapRecord r = new PcapRecord();
            boolean more = true;
            while (more || stage.inFlight() > 0) {
                // Read only while a buffer is free: a record is never read without one to hold it.
                while (more && stage.acceptsInput() && batch.size() < BATCH && pool.outstanding() < pool.capacity()) {
                    if (!reader.next(r)) {
                        more = false;
                        break;
                    }
                    records++;
                    if (!r.isIp()) {
                        stats.increment(XfrmCounter.EsplineSkippedNotEsp);
                        continue;
                    }
                    if (r.ipLength() > MAX_PACKET) {
                        stats.increment(oversize);
                        continue;
                    }
                    PacketBuffer buf = pool.acquire();
                    int at = buf.put(r.ipLength());
                    System.arraycopy(r.data(), r.ipOffset(), buf.array(), at, r.ipLength());
                    buf.securityAssociation(sa);
                    times.put(buf, new long[] {r.timestampSeconds(), r.timestampNanos() / 1000});
                    batch.add(buf);
                }
                stage.process(batch, done);
                batch.clear();
                for (int i = 0; i < done.size(); i++) {
                    PacketBuffer p = done.get(i);
                    long[] t = times.remove(p);
                    byte[] bytes = p.toByteArray();
                    writer.write(bytes, 0, bytes.length, t == null ? 0 : t[0], t == null ? 0 : (int) t[1]);
                    written++;
                    p.release();
                }
                done.clear();
                if (done.isEmpty() && stage.inFlight() > 0 && !stage.acceptsInput()) {
                    Thread.onSpinWait();
                }
            }
        }
        return new RunTotals(records, written);
    }

    /** From a model: the device its SAs name with {@code offload} (the first SA's that names one), else null. */
    private static OffloadDevice modelOffload(Path saFile, SaDatabase sad) throws ModelException {
        if (saFile.getFileName() == null || !saFile.getFileName().toString().endsWith(".espl")) {
            return null;
        }
        return new ModelOffloads(new ModelSas().load(saFile)).deviceForSas(sad.all());
    }

    private void printDevice(OffloadDevice device, SaDatabase sad) {
        out.println("offload " + device.name() + " (" + device.kind().name().toLowerCase(java.util.Locale.ROOT) + "): "
                + device.events().snapshot().entrySet().stream().filter(e -> e.getValue() != 0)
                        .map(e -> e.getKey().name() + " " + e.getValue()).reduce((a, b) -> a + ", " + b).orElse("no events"));
        for (SecurityAssociation sa : sad.all()) {
            OffloadSaCounters c = device.counters(sa);
            if (c != null && c.packets() != 0) {
                out.println("  SA " + sa.config().name() + " on the device: " + c.packets() + " packets, " + c.bytes()
                        + " bytes, " + c.icvFailures() + " ICV failures");
            }
        }
    }

    private static PacketBuffer load(BufferPool pool, PcapRecord r) {
        PacketBuffer buf = pool.acquire();
        int at = buf.put(r.ipLength());
        System.arraycopy(r.data(), r.ipOffset(), buf.array(), at, r.ipLength());
        return buf;
    }

    private static void write(PcapWriter writer, PacketBuffer buf, PcapRecord r) throws IOException {
        int micros = r.timestampNanos() / 1000;
        if (buf.isLinear()) {
            writer.write(buf.array(), buf.data(), buf.linearLength(), r.timestampSeconds(), micros);
        } else {
            byte[] bytes = buf.toByteArray();
            writer.write(bytes, 0, bytes.length, r.timestampSeconds(), micros);
        }
    }

    private void printSummary(boolean encrypt, RunTotals totals, XfrmStats stats, SaDatabase sad) {
        out.println((encrypt ? "encrypted " : "decrypted ") + totals.written + " of " + totals.records + " records");
        stats.snapshot().forEach((c, v) -> {
            if (v != 0) {
                out.println("  " + c.name() + " " + v);
            }
        });
        for (SecurityAssociation sa : sad.all()) {
            if (sa.packets() != 0 || sa.stats().totalDrops() != 0) {
                out.println("  SA " + sa.config().name() + " (" + (sa.config().mode() == SaMode.TUNNEL ? "tunnel" : "transport")
                        + "): " + sa.packets() + " packets, " + sa.bytes() + " bytes, " + sa.stats().totalDrops() + " dropped");
            }
        }
    }
}
