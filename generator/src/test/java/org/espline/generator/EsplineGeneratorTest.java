package org.espline.generator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;


import org.espline.dsl.runtime.ModelException;
import org.espline.dsl.runtime.ModelSas;
import org.espline.runtime.buffer.BufferPool;
import org.espline.runtime.pipeline.ClassifyStage;
import org.espline.runtime.pipeline.DecryptStage;
import org.espline.runtime.pipeline.EncryptStage;
import org.espline.runtime.pipeline.GsoStage;
import org.espline.runtime.pipeline.Pipeline;
import org.espline.runtime.pipeline.Stage;
import org.espline.runtime.port.CollectingPort;
import org.espline.runtime.port.MemorySourcePort;
import org.espline.runtime.port.SinkPort;
import org.espline.runtime.port.SourcePort;
import org.espline.runtime.sa.Policy;
import org.espline.runtime.sa.PolicyAction;
import org.espline.runtime.sa.PolicyLookup;
import org.espline.runtime.sa.PolicyDatabase;
import org.espline.runtime.sa.SaConfig;
import org.espline.runtime.sa.SaDatabase;
import org.espline.runtime.sa.SecurityAssociation;
import org.espline.runtime.stats.XfrmCounter;
import org.espline.runtime.stats.XfrmStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Golden files, determinism and an in-process compile (-Xlint:all -Werror) of the generated sources; the generated
 * gw-a egress pipeline encrypts packets that the runtime's interpreted decrypt stage turns back into the originals.
 * Regenerate the golden files with {@code -Despline.golden.update=true}.
 */
class EsplineGeneratorTest {
    private static final Path MODELS = Path.of("..", "examples", "models");
    private static final Path GOLDEN = Path.of("src", "test", "resources", "golden");

    static Stream<String> models() {
        return Stream.of("host-to-host", "site-to-site-gw-a", "site-to-site-gw-b", "road-warrior-v6", "offload", "bench");
    }

    static Map<String, String> generate(String model) throws ModelException, IOException {
        Path file = MODELS.resolve(model + ".espl");
        ModelSas.Loaded loaded = ModelGenerator.load(file);
        assertFalse(loaded.hasErrors(), () -> loaded.errors().toString());
        return new ModelGenerator().generate(loaded, file, ModelGenerator.placeholderEnvironment(loaded.models()));
    }

    @ParameterizedTest
    @MethodSource("models")
    void matchesTheGoldenFiles(String model) throws Exception {
        Map<String, String> files = generate(model);
        Path dir = GOLDEN.resolve(model);
        if (Boolean.getBoolean("espline.golden.update")) {
            for (Map.Entry<String, String> f : files.entrySet()) {
                Path target = dir.resolve(f.getKey());
                Files.createDirectories(target.getParent());
                Files.writeString(target, f.getValue(), StandardCharsets.UTF_8);
            }
        }
        List<String> expected;
        try (Stream<Path> s = Files.walk(dir)) {
            expected = s.filter(Files::isRegularFile).map(p -> dir.relativize(p).toString().replace(File.separatorChar, '/'))
                    .sorted().toList();
        }
        assertEquals(expected, files.keySet().stream().sorted().toList(), "generated file names");
        for (Map.Entry<String, String> f : files.entrySet()) {
            assertEquals(Files.readString(dir.resolve(f.getKey()), StandardCharsets.UTF_8), f.getValue(), f.getKey());
        }
    }

    @ParameterizedTest
    @MethodSource("models")
    void isDeterministic(String model) throws Exception {
        assertEquals(generate(model), generate(model));
    }

    @ParameterizedTest
    @MethodSource("models")
    void compilesWithAllLintWarningsAsErrors(String model, @TempDir Path tmp) throws Exception {
        compile(generate(model), tmp);
    }

    @Test
    void theGeneratedEgressPipelineEncryptsWhatTheRuntimeDecrypts(@TempDir Path tmp) throws Exception {
        Path classes = compile(generate("site-to-site-gw-a"), tmp);
        List<byte[]> sent = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            sent.add(udp4(new byte[] {10, 1, 0, 5}, new byte[] {10, 2, 0, (byte) (7 + i % 3)}, 1000 + i, 53, 20 + 37 * i));
        }
        BufferPool pool = new BufferPool(128, 128, 1500, 320, 1);
        CollectingPort wire = new CollectingPort();
        XfrmStats stats = new XfrmStats();
        try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, getClass().getClassLoader())) {
            Class<?> egress = loader.loadClass("site_to_site.gw_a.EgressPipeline");
            Constructor<?> c = egress.getConstructor(SourcePort.class, XfrmStats.class, BufferPool.class, SinkPort.class);
            Object tx = c.newInstance(new MemorySourcePort(pool, sent), stats, new BufferPool(64, 128, 1500, 64, 17), wire);
            Method runOnce = egress.getMethod("runOnce");
            drive(tx, runOnce);
            SaConfig aToB = (SaConfig) loader.loadClass("site_to_site.gw_a.GwASecurityAssociations").getField("A_TO_B").get(null);
            assertEquals(sent.size(), wire.packets().size(), stats.toString());
            SaDatabase sad = new SaDatabase();
            sad.put(new SecurityAssociation(aToB));
            CollectingPort clear = new CollectingPort();
            Pipeline rx = new Pipeline(new MemorySourcePort(pool, wire.packets()),
                    new Stage[] {new DecryptStage(sad, new XfrmStats(), false)}, clear, 32);
            rx.run(Long.MAX_VALUE);
            assertEquals(sent.size(), clear.packets().size());
            for (int i = 0; i < sent.size(); i++) {
                assertArrayEquals(sent.get(i), clear.packets().get(i), "packet " + i);
            }
            assertTrue(wire.packets().get(0).length > sent.get(0).length + 20 + 8 + 8 + 8, "outer headers, ESP header and IV");
        }
    }

    @Test
    void theGeneratedEgressPipelineWritesTheSameBytesAsTheInterpretedOne(@TempDir Path tmp) throws Exception {
        Path classes = compile(generate("site-to-site-gw-a"), tmp);
        List<byte[]> sent = new ArrayList<>();
        for (int i = 0; i < 70; i++) {
            // Protected (10.2/16), discarded (elsewhere), IKE (bypassed) and unmatched (outside 10.1/16) traffic.
            byte[] dst = i % 5 == 4 ? new byte[] {10, 9, 0, 1} : new byte[] {10, 2, 0, (byte) (7 + i % 3)};
            byte[] src = i % 11 == 10 ? new byte[] {(byte) 192, (byte) 168, 1, 1} : new byte[] {10, 1, 0, 5};
            sent.add(udp4(src, dst, 1000 + i, i % 7 == 6 ? 500 : 53, 11 * i));
        }
        try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, getClass().getClassLoader())) {
            Class<?> egress = loader.loadClass("site_to_site.gw_a.EgressPipeline");
            PolicyLookup generatedSpd = (PolicyLookup) loader.loadClass("site_to_site.gw_a.GwAPolicies").getField("SPD").get(null);
            assertEquals(PolicyAction.DISCARD, generatedSpd.defaultAction(), "unmatched traffic must not leave in the clear");
            // The interpreted pipeline gets the same policies over fresh SAs (sequence numbers from 1 again).
            PolicyDatabase spd = new PolicyDatabase(generatedSpd.defaultAction());
            for (Policy p : generatedSpd.all()) {
                spd.add(new Policy(p.selector(), p.action(), p.sa() == null ? null : new SecurityAssociation(p.sa().config())));
            }
            XfrmStats interpretedStats = new XfrmStats();
            CollectingPort interpreted = new CollectingPort();
            new Pipeline(new MemorySourcePort(new BufferPool(128, 128, 1500, 320, 1), sent),
                    new Stage[] {new ClassifyStage(spd, interpretedStats), new GsoStage(1360, new BufferPool(64, 128, 1500, 64, 17), interpretedStats),
                        new EncryptStage(interpretedStats)}, interpreted, 32)
                    .run(Long.MAX_VALUE);

            XfrmStats generatedStats = new XfrmStats();
            CollectingPort generated = new CollectingPort();
            Object tx = egress.getConstructor(SourcePort.class, XfrmStats.class, BufferPool.class, SinkPort.class)
                    .newInstance(new MemorySourcePort(new BufferPool(128, 128, 1500, 320, 1), sent), generatedStats,
                            new BufferPool(64, 128, 1500, 64, 17), generated);
            Method runOnce = egress.getMethod("runOnce");
            drive(tx, runOnce);
            assertTrue(interpreted.packets().size() > 40 && interpreted.packets().size() < sent.size(), interpretedStats.toString());
            assertEquals(interpreted.packets().size(), generated.packets().size());
            for (int i = 0; i < interpreted.packets().size(); i++) {
                assertArrayEquals(interpreted.packets().get(i), generated.packets().get(i), "packet " + i);
            }
            assertEquals(interpretedStats.toString(), generatedStats.toString());
            assertTrue(generatedStats.get(XfrmCounter.XfrmOutNoPols) > 0, generatedStats.toString());
        }
    }

    /**
     * Calls runOnce until the pipeline has finished (source ended, engines drained), then closes it if it has engines.
     * A generated pipeline with an asynchronous engine returns 0 while packets are on the engine's threads.
     */
    static void drive(Object pipeline, Method runOnce) throws Exception {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while ((int) runOnce.invoke(pipeline) >= 0) {
            assertTrue(System.nanoTime() < deadline, "the pipeline did not finish within 60 s");
            Thread.onSpinWait();
        }
        if (pipeline instanceof AutoCloseable c) {
            c.close();
        }
    }

    /** Compiles the sources under tmp/src into tmp/classes with -Xlint:all -Werror; fails with the diagnostics. */
    static Path compile(Map<String, String> files, Path tmp) throws IOException {
        try (CompiledModel compiled = CompiledModel.compile(files, tmp)) {
            return compiled.classes();
        } catch (CompiledModel.CompileException e) {
            throw new AssertionError(e.getMessage(), e);
        }
    }

    /** An IPv4 UDP packet with a valid header checksum (UDP checksum 0). */
    static byte[] udp4(byte[] src, byte[] dst, int sport, int dport, int payload) {
        byte[] p = new byte[28 + payload];
        p[0] = 0x45;
        p[2] = (byte) (p.length >> 8);
        p[3] = (byte) p.length;
        p[8] = 64;
        p[9] = 17;
        System.arraycopy(src, 0, p, 12, 4);
        System.arraycopy(dst, 0, p, 16, 4);
        int sum = 0;
        for (int i = 0; i < 20; i += 2) {
            sum += ((p[i] & 0xFF) << 8) | (p[i + 1] & 0xFF);
        }
        while ((sum >> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        sum = ~sum & 0xFFFF;
        p[10] = (byte) (sum >> 8);
        p[11] = (byte) sum;
        p[20] = (byte) (sport >> 8);
        p[21] = (byte) sport;
        p[22] = (byte) (dport >> 8);
        p[23] = (byte) dport;
        p[24] = (byte) ((8 + payload) >> 8);
        p[25] = (byte) (8 + payload);
        for (int i = 0; i < payload; i++) {
            p[28 + i] = (byte) (i * 7 + 1);
        }
        return p;
    }

}
