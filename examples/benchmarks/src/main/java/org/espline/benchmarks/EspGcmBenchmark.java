package org.espline.benchmarks;

import java.net.InetAddress;
import java.util.concurrent.TimeUnit;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import org.espline.runtime.buffer.BufferPool;
import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.crypto.EncryptionAlgorithm;
import org.espline.runtime.crypto.EspTransform;
import org.espline.runtime.crypto.EspTransforms;
import org.espline.runtime.crypto.KeyMaterial;
import org.espline.runtime.esp.EspInput;
import org.espline.runtime.esp.EspOutput;
import org.espline.runtime.sa.SaConfig;
import org.espline.runtime.sa.SaDatabase;
import org.espline.runtime.sa.SaMode;
import org.espline.runtime.sa.SecurityAssociation;
import org.espline.runtime.stats.XfrmCounter;
import org.espline.runtime.stats.XfrmStats;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * ESP output and input with AES-128-GCM (RFC 4106, 16-byte ICV, tunnel mode over IPv4) against raw JCA
 * {@code AES/GCM/NoPadding} seal/open of the same number of bytes, in the same run.
 *
 * <p>{@code size} is the inner IP packet: what ESP encrypts (plus at most 5 bytes of trailer) and what
 * the baseline seals. Both sides do what one packet costs: ESP re-initialises the cipher with a fresh
 * nonce per packet exactly as the baseline does; input benchmarks restore the ciphertext before each
 * open on both sides (opening in place consumes it). The ESP input SA has its replay window switched
 * off so the same packet can be opened again and again; the replay check itself is still executed.
 *
 * <p>Run: {@code java -jar examples/benchmarks/target/benchmarks.jar EspGcmBenchmark -prof gc}.
 * Expect ESP/JCA ratios close to 1 at 1400 bytes and above (the AEAD dominates), lower at 64 bytes
 * where header work is a visible share, and gc.alloc.rate.norm equal for ESP and JCA (the only
 * per-packet allocation is the GCMParameterSpec and what the JCA allocates inside init).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Thread)
public class EspGcmBenchmark {
    @Param({"64", "512", "1400", "8192"})
    public int size;

    /** Offset of the payload in the baseline's buffer: after an 8-byte AAD and an 8-byte IV, as in ESP. */
    private static final int PAYLOAD_AT = 16;

    private static final byte[] KEY_AND_SALT = {
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, (byte) 0xca, (byte) 0xfe, (byte) 0xba, (byte) 0xbe};

    // --- ESP ---
    private SecurityAssociation txSa;
    private EspOutput output;
    private EspInput input;
    private PacketBuffer txBuf;
    private PacketBuffer rxBuf;
    private byte[] innerPacket;
    private byte[] espPacket;

    // --- the transform alone ---
    private static final int SEAL_ESP_AT = 20;
    private static final int OUTER_IPV4 = 20;
    private byte[] sealPacket;
    private int sealPayloadLength;
    private long transformSeq = 1L << 20;
    private EspTransform rxTransform;
    private byte[] openPacket;
    private int openPayloadLength;

    // --- JCA baseline ---
    private Cipher jca;
    private SecretKeySpec jcaKey;
    private byte[] jcaNonce;
    private byte[] jcaSealBuf;
    private byte[] jcaCiphertext;
    private byte[] jcaOpenBuf;
    private long jcaCounter;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        SaConfig cfg = SaConfig.builder()
                .source(InetAddress.getByName("192.0.2.1")).destination(InetAddress.getByName("198.51.100.2"))
                .spi(0x1001).mode(SaMode.TUNNEL)
                .encryption(EncryptionAlgorithm.AES_GCM, KeyMaterial.of(KEY_AND_SALT)).icvLength(16)
                .replayWindow(0)
                .build();
        txSa = new SecurityAssociation(cfg);
        output = new EspOutput(new XfrmStats());
        SaDatabase sad = new SaDatabase();
        sad.put(new SecurityAssociation(cfg));
        input = new EspInput(sad, new XfrmStats());
        BufferPool pool = new BufferPool(2, 128, size + 64, 64, 1);
        txBuf = pool.acquire();
        rxBuf = pool.acquire();

        innerPacket = new byte[size];
        for (int i = 0; i < size; i++) {
            innerPacket[i] = (byte) (i * 31);
        }
        innerPacket[0] = 0x45;
        innerPacket[2] = (byte) (size >>> 8);
        innerPacket[3] = (byte) size;
        innerPacket[9] = 17;

        // One real ESP packet for the input benchmark.
        loadInner();
        if (output.encapsulate(txBuf, txSa) != XfrmCounter.EsplineOutDelivered) {
            throw new IllegalStateException("setup: ESP output failed");
        }
        espPacket = txBuf.toByteArray();
        loadEsp();
        if (input.decapsulate(rxBuf) != XfrmCounter.EsplineInDelivered) {
            throw new IllegalStateException("setup: ESP input failed");
        }

        // Seal: inner packet + 2..5 bytes of trailer, as ESP output lays it out.
        sealPayloadLength = (size + 2 + 3) & ~3;
        sealPacket = new byte[SEAL_ESP_AT + 16 + sealPayloadLength + 16];
        System.arraycopy(innerPacket, 0, sealPacket, SEAL_ESP_AT + 16, size);
        rxTransform = EspTransforms.create(cfg);
        openPacket = espPacket.clone();
        openPayloadLength = espPacket.length - OUTER_IPV4 - 8 - 8 - 16;
        if (!rxTransform.open(openPacket, OUTER_IPV4, openPayloadLength, 1)) {
            throw new IllegalStateException("setup: transform open failed");
        }

        jca = Cipher.getInstance("AES/GCM/NoPadding");
        jcaKey = new SecretKeySpec(KEY_AND_SALT, 0, 16, "AES");
        jcaNonce = new byte[12];
        // Same shape as the ESP packet: AAD (SPI, seq) at 0, IV at 8, payload at 16, tag after it.
        jcaSealBuf = new byte[PAYLOAD_AT + size + 16];
        System.arraycopy(innerPacket, 0, jcaSealBuf, PAYLOAD_AT, size);
        jcaNonce[11] = 1;
        jca.init(Cipher.ENCRYPT_MODE, jcaKey, new GCMParameterSpec(128, jcaNonce));
        jcaCiphertext = new byte[PAYLOAD_AT + size + 16];
        jca.updateAAD(jcaCiphertext, 0, 8);
        jca.doFinal(innerPacket, 0, size, jcaCiphertext, PAYLOAD_AT);
        jcaOpenBuf = new byte[PAYLOAD_AT + size + 16];
        jcaCounter = 1;
    }

    private void loadInner() {
        txBuf.clear();
        txBuf.reserve(128);
        System.arraycopy(innerPacket, 0, txBuf.array(), txBuf.put(size), size);
    }

    private void loadEsp() {
        rxBuf.clear();
        rxBuf.reserve(64);
        System.arraycopy(espPacket, 0, rxBuf.array(), rxBuf.put(espPacket.length), espPacket.length);
    }

    /** ESP output: the inner packet is rebuilt in place (only its 20-byte header needs restoring), then sealed. */
    @Benchmark
    public int espOutput() {
        PacketBuffer b = txBuf;
        b.clear();
        b.reserve(128);
        int at = b.put(size);
        System.arraycopy(innerPacket, 0, b.array(), at, 20);
        XfrmCounter r = output.encapsulate(b, txSa);
        return r.ordinal() + b.length();
    }

    /** Baseline: one RFC 4106-style seal of {@code size} bytes in place with a fresh nonce and 8-byte AAD. */
    @Benchmark
    public int jcaSeal() throws Exception {
        long n = ++jcaCounter;
        for (int i = 0; i < 8; i++) {
            jcaNonce[4 + i] = (byte) (n >>> (56 - 8 * i));
        }
        jca.init(Cipher.ENCRYPT_MODE, jcaKey, new GCMParameterSpec(128, jcaNonce));
        jca.updateAAD(jcaSealBuf, 0, 8);
        return jca.doFinal(jcaSealBuf, PAYLOAD_AT, size, jcaSealBuf, PAYLOAD_AT);
    }

    /**
     * The transform alone on the packet ESP output builds (seal in place, IV = sequence number): the
     * difference to {@link #espOutput} in B/op is what Espline's own layers allocate.
     */
    @Benchmark
    public int transformSeal() {
        txSa.transform().seal(sealPacket, SEAL_ESP_AT, sealPayloadLength, ++transformSeq);
        return sealPacket[SEAL_ESP_AT + 8 + 8];
    }

    /** The transform alone opening the ESP packet of {@link #espInput}, after restoring it. */
    @Benchmark
    public boolean transformOpen() {
        System.arraycopy(espPacket, 0, openPacket, 0, espPacket.length);
        return rxTransform.open(openPacket, OUTER_IPV4, openPayloadLength, 1);
    }

    /** ESP input: restore the ESP packet (opening consumes it), then the whole input path. */
    @Benchmark
    public int espInput() {
        loadEsp();
        XfrmCounter r = input.decapsulate(rxBuf);
        return r.ordinal() + rxBuf.length();
    }

    /** Baseline: restore the ciphertext, then one open of {@code size} bytes + tag in place. */
    @Benchmark
    public int jcaOpen() throws Exception {
        System.arraycopy(jcaCiphertext, 0, jcaOpenBuf, 0, PAYLOAD_AT + size + 16);
        jcaNonce[4] = 0;
        for (int i = 5; i < 11; i++) {
            jcaNonce[i] = 0;
        }
        jcaNonce[11] = 1;
        jca.init(Cipher.DECRYPT_MODE, jcaKey, new GCMParameterSpec(128, jcaNonce));
        jca.updateAAD(jcaOpenBuf, 0, 8);
        return jca.doFinal(jcaOpenBuf, PAYLOAD_AT, size + 16, jcaOpenBuf, PAYLOAD_AT);
    }
}
