package org.espline.cli.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.eclipse.emf.ecore.EStructuralFeature;
import org.eclipse.xtext.nodemodel.util.NodeModelUtils;
import org.espline.dsl.espline.Buffers;
import org.espline.dsl.espline.EsplinePackage;
import org.espline.dsl.espline.GroStage;
import org.espline.dsl.espline.GsoStage;
import org.espline.dsl.espline.Model;
import org.espline.dsl.espline.PipelineKind;
import org.espline.dsl.espline.TapStage;
import org.espline.dsl.runtime.ModelPipelines;
import org.espline.dsl.runtime.ModelSas;
import org.espline.generator.CompiledModel;
import org.espline.generator.EsplineGenerator;
import org.espline.generator.ModelGenerator;
import org.espline.runtime.buffer.BufferPool;
import org.espline.runtime.pipeline.AbstractPipeline;
import org.espline.runtime.pipeline.PacketSink;
import org.espline.runtime.port.CollectingPort;
import org.espline.runtime.port.MemorySourcePort;
import org.espline.runtime.port.SinkPort;
import org.espline.runtime.port.SourcePort;
import org.espline.runtime.sa.PolicyLookup;
import org.espline.runtime.sa.SaConfig;
import org.espline.runtime.sa.SaDatabase;
import org.espline.runtime.stats.XfrmStats;

/**
 * An example model copied into a work directory with its {@code env:} and {@code file:} keys replaced by literal keys
 * of the right length (deterministic, non-zero), so the generated classes and the interpreted pipelines use the same
 * real keys without touching the environment; then generated, compiled (-Xlint:all -Werror) and loaded. Runs one
 * pipeline either way: the generated class (constructor arguments by type) or the interpreted {@link ModelPipelines}
 * build with its ports substituted.
 */
final class ExampleModel implements AutoCloseable {
    private static final Pattern ENV_KEY = Pattern.compile("key\\s+env\\s*:?\\s*([A-Za-z_][A-Za-z0-9_]*)");
    private static final Pattern FILE_KEY = Pattern.compile("key\\s+file\\s*:?\\s*\"([^\"]*)\"");
    private static final Pattern IMPORT = Pattern.compile("import\\s+\"([^\"]+)\"");
    private static final Pattern ENGINE_BLOCK = Pattern.compile("(?m)^engine\\s+(\\w+)\\s*\\{[^}]*\\}");

    final Path file;
    final Model root;
    final List<PipelineInfo> pipelines = new ArrayList<>();
    private final CompiledModel compiled;
    private final String pkg;
    private final String prefix;
    private final java.util.Set<String> ran = new java.util.HashSet<>();

    /** What the test needs of one {@code pipeline} element. */
    record PipelineInfo(String name, boolean tx, int batch, Integer gsoMss, boolean gro, List<String> taps, Buffers buffers) {
    }

    private ExampleModel(Path file, ModelSas.Loaded loaded, CompiledModel compiled) {
        this.file = file;
        this.root = loaded.models().get(loaded.models().size() - 1);
        this.compiled = compiled;
        this.pkg = EsplineGenerator.javaPackage(root);
        this.prefix = EsplineGenerator.modelClassPrefix(root);
        for (var e : root.getElements()) {
            if (e instanceof org.espline.dsl.espline.Pipeline p) {
                List<String> taps = p.getStages().stream().filter(TapStage.class::isInstance)
                        .map(s -> ((TapStage) s).getFile()).toList();
                GsoStage gso = p.getStages().stream().filter(GsoStage.class::isInstance).map(GsoStage.class::cast)
                        .findFirst().orElse(null);
                int batch = absent(p, EsplinePackage.Literals.PIPELINE__BATCH_SIZE) ? ModelPipelines.DEFAULT_BATCH
                        : p.getBatchSize();
                pipelines.add(new PipelineInfo(p.getName(), p.getKind() == PipelineKind.TX, batch,
                        gso == null ? null : gso.getMss(), p.getStages().stream().anyMatch(GroStage.class::isInstance), taps,
                        p.getBuffers()));
            }
        }
    }

    /** Copies {@code model} (and what it imports) into {@code dir} with literal keys, generates and compiles it. */
    static ExampleModel prepare(Path model, Path dir) throws Exception {
        Path copy = copyWithLiteralKeys(model, dir);
        ModelSas.Loaded loaded = ModelGenerator.load(copy);
        assertFalse(loaded.hasErrors(), () -> loaded.errors().toString());
        Map<String, String> sources = new ModelGenerator().generate(loaded, copy, name -> null);
        for (Map.Entry<String, String> s : sources.entrySet()) {
            assertFalse(s.getValue().contains("KeySources.environment") || s.getValue().contains("KeySources.file"),
                    s.getKey() + " still reads a key from outside");
        }
        return new ExampleModel(copy, loaded, CompiledModel.compile(sources, dir.resolve("generated")));
    }

    /** The copy of {@code model} with literal keys, for its interpreted pipelines only (nothing generated). */
    static ExampleModel interpretedOnly(Path model, Path dir) throws IOException {
        Path copy = copyWithLiteralKeys(model, dir);
        ModelSas.Loaded loaded = ModelGenerator.load(copy);
        assertFalse(loaded.hasErrors(), () -> loaded.errors().toString());
        return new ExampleModel(copy, loaded, null);
    }

    /** The copy of {@code model} (imports alongside) under {@code dir}, every env:/file: key a literal one, engines inline. */
    static Path copyWithLiteralKeys(Path model, Path dir) throws IOException {
        Files.createDirectories(dir);
        ModelSas.Loaded original = ModelGenerator.load(model);
        assertFalse(original.hasErrors(), () -> original.errors().toString());
        Function<String, String> envLength = ModelGenerator.placeholderEnvironment(original.models());
        Function<String, byte[]> fileLength = ModelGenerator.placeholderKeyFiles(original.models());
        String text = Files.readString(model, StandardCharsets.UTF_8);
        Matcher imports = IMPORT.matcher(text);
        while (imports.find()) {
            copyWithLiteralKeys(model.resolveSibling(imports.group(1)), dir);
        }
        text = replace(text, ENV_KEY, name -> {
            String zeros = envLength.apply(name);
            assertNotNull(zeros, "no key length for env:" + name);
            return literal("env:" + name, zeros.length() / 2);
        });
        text = replace(text, FILE_KEY, path -> {
            byte[] zeros = fileLength.apply(path);
            assertNotNull(zeros, "no key length for file:" + path);
            return literal("file:" + path, zeros.length);
        });
        // Asynchronous engines release packets in batches whose boundaries depend on thread timing, and GRO flushes at
        // batch ends: byte-identical comparison of two runs needs inline crypto. The demo and the engine's own tests run
        // the asynchronous engines (generated and interpreted) and check every delivered byte instead.
        text = ENGINE_BLOCK.matcher(text).replaceAll("engine $1 { inline }");
        Path copy = dir.resolve(model.getFileName().toString());
        Files.writeString(copy, text, StandardCharsets.UTF_8);
        return copy;
    }

    /** Replaces the pattern's matches outside {@code //} comments (which mention key syntax too). */
    private static String replace(String text, Pattern p, Function<String, String> keyFor) {
        StringBuilder sb = new StringBuilder();
        for (String line : text.split("\n", -1)) {
            int comment = line.indexOf("//");
            String code = comment < 0 ? line : line.substring(0, comment);
            Matcher m = p.matcher(code);
            while (m.find()) {
                m.appendReplacement(sb, Matcher.quoteReplacement("key " + keyFor.apply(m.group(1))));
            }
            m.appendTail(sb);
            sb.append(comment < 0 ? "" : line.substring(comment)).append('\n');
        }
        return sb.substring(0, sb.length() - 1);
    }

    /** {@code 0x} and {@code length} bytes derived from the key's name: deterministic, none of them zero. */
    static String literal(String name, int length) {
        StringBuilder sb = new StringBuilder("0x");
        try {
            byte[] block = name.getBytes(StandardCharsets.UTF_8);
            while (sb.length() < 2 + 2 * length) {
                block = MessageDigest.getInstance("SHA-256").digest(block);
                for (byte b : block) {
                    if (b != 0 && sb.length() < 2 + 2 * length) {
                        sb.append(String.format("%02x", b & 0xFF));
                    }
                }
            }
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
        return sb.toString();
    }

    private static boolean absent(org.eclipse.emf.ecore.EObject o, EStructuralFeature f) {
        return NodeModelUtils.findNodesForFeature(o, f).isEmpty();
    }

    PipelineInfo pipeline(String name) {
        return pipelines.stream().filter(p -> p.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no pipeline " + name));
    }

    // ------------------------------------------------------------ generated classes

    PolicyLookup generatedSpd() throws ReflectiveOperationException {
        return (PolicyLookup) compiled.constant(pkg + "." + prefix + "Policies", "SPD");
    }

    @SuppressWarnings("unchecked")
    List<SaConfig> generatedSas() throws ReflectiveOperationException {
        return (List<SaConfig>) compiled.constant(pkg + "." + prefix + "SecurityAssociations", "ALL");
    }

    Class<?> load(String simpleName) throws ClassNotFoundException {
        return compiled.load(pkg + "." + simpleName);
    }

    // ------------------------------------------------------------ pools as the model declares them

    /** A pool with the pipeline's buffers' room and fragments, {@code capacity} buffers, {@code mtu} when given. */
    static BufferPool pool(PipelineInfo p, int capacity, Integer mtu) {
        Buffers b = p.buffers();
        return new BufferPool(capacity, value(b, EsplinePackage.Literals.BUFFERS__HEADROOM, ModelPipelines.DEFAULT_HEADROOM),
                mtu != null ? mtu : value(b, EsplinePackage.Literals.BUFFERS__MTU, ModelPipelines.DEFAULT_MTU),
                value(b, EsplinePackage.Literals.BUFFERS__TAILROOM, ModelPipelines.DEFAULT_TAILROOM),
                value(b, EsplinePackage.Literals.BUFFERS__MAX_FRAGMENTS, ModelPipelines.DEFAULT_FRAGMENTS));
    }

    /** The pool exactly as the model declares it (the generated GSO stage's, like the interpreted one's). */
    static BufferPool modelPool(PipelineInfo p) {
        return pool(p, value(p.buffers(), EsplinePackage.Literals.BUFFERS__POOL_SIZE, ModelPipelines.DEFAULT_POOL_SIZE), null);
    }

    private static int value(Buffers b, EStructuralFeature f, int otherwise) {
        return b == null || absent(b, f) ? otherwise : (Integer) b.eGet(f);
    }

    // ------------------------------------------------------------ running one pipeline

    /** What one run of a pipeline gave: the sink's packets, the counters, each tap's packets. */
    record PipelineRun(List<byte[]> out, XfrmStats stats, List<List<byte[]>> taps, AbstractPipeline pipeline) {
    }

    /**
     * Runs the generated class of pipeline {@code name} once from {@code source} to the end. The SAs of the
     * generated Policies class are static: each model runs each generated pipeline once (sequence numbers from 1).
     */
    PipelineRun runGenerated(String name, SourcePort source, SaDatabase sad) throws Exception {
        PipelineInfo info = pipeline(name);
        assertTrue(ran.add(name), name + ": a generated pipeline runs once per compiled model (its SAs are static)");
        Constructor<?>[] constructors = load(EsplineGenerator.camel(name) + "Pipeline").getConstructors();
        assertEquals(1, constructors.length);
        Class<?>[] types = constructors[0].getParameterTypes();
        Object[] args = new Object[types.length];
        XfrmStats stats = new XfrmStats();
        CollectingPort sink = new CollectingPort();
        List<List<byte[]>> taps = new ArrayList<>();
        for (int i = 0; i < types.length; i++) {
            if (types[i] == SourcePort.class) {
                assertEquals(0, i, "the source comes first");
                args[i] = source;
            } else if (types[i] == SinkPort.class) {
                args[i] = sink;
            } else if (types[i] == XfrmStats.class) {
                args[i] = stats;
            } else if (types[i] == SaDatabase.class) {
                args[i] = sad;
            } else if (types[i] == BufferPool.class) {
                args[i] = modelPool(info);
            } else if (types[i] == PacketSink.class) {
                List<byte[]> tap = new ArrayList<>();
                taps.add(tap);
                args[i] = (PacketSink) packet -> tap.add(packet.toByteArray());
            } else {
                throw new AssertionError(name + ": unexpected constructor parameter " + types[i]);
            }
        }
        assertEquals(SinkPort.class, types[types.length - 1], "the sink comes last");
        AbstractPipeline p = (AbstractPipeline) constructors[0].newInstance(args);
        p.run(Long.MAX_VALUE);
        assertTrue(p.isFinished() && sink.isFinished(), name + ": generated pipeline did not finish");
        return new PipelineRun(sink.packets(), stats, taps, p);
    }

    /** Runs the interpreted pipeline {@code name} of a fresh build (fresh SAs); taps go to {@code outputDir}. */
    PipelineRun runInterpreted(String name, SourcePort source, Path outputDir) throws Exception {
        CollectingPort sink = new CollectingPort();
        XfrmStats stats;
        AbstractPipeline pipeline;
        try (ModelPipelines.Built built = build(name, source, sink, outputDir)) {
            pipeline = built.pipeline(name);
            pipeline.run(Long.MAX_VALUE);
            stats = built.stats(name);
        }
        assertTrue(pipeline.isFinished() && sink.isFinished(), name + ": interpreted pipeline did not finish");
        List<List<byte[]>> taps = new ArrayList<>();
        for (String tap : pipeline(name).taps()) {
            taps.add(TinyPcap.read(outputDir.resolve(tap)).packets());
        }
        return new PipelineRun(sink.packets(), stats, taps, pipeline);
    }

    /** The outbound SPD of the interpreted build (its SAs fresh). */
    PolicyLookup interpretedSpd(Path outputDir) throws Exception {
        try (ModelPipelines.Built built = build(null, null, null, outputDir)) {
            return built.spd();
        }
    }

    /** A fresh interpreted build: pipeline {@code name} between the given ports, every other one between idle ports. */
    private ModelPipelines.Built build(String name, SourcePort source, SinkPort sink, Path outputDir) throws Exception {
        Files.createDirectories(outputDir);
        ModelPipelines mp = new ModelPipelines(new ModelSas(n -> null)).outputDirectory(outputDir);
        for (PipelineInfo p : pipelines) {
            boolean run = p.name().equals(name);
            mp.withSource(p.name(), run ? source
                    : new MemorySourcePort(new BufferPool(1, 0, 64, 0, 1), List.of()));
            mp.withSink(p.name(), run ? sink : new CollectingPort());
        }
        return mp.build(file);
    }

    @Override
    public void close() throws IOException {
        if (compiled != null) {
            compiled.close();
        }
    }
}
