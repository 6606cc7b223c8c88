package org.espline.dsl.runtime;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

import org.espline.dsl.espline.BypassAction;
import org.espline.dsl.espline.Buffers;
import org.espline.dsl.espline.CryptoPlacement;
import org.espline.dsl.espline.Direction;
import org.espline.dsl.espline.Element;
import org.espline.dsl.espline.Engine;
import org.espline.dsl.espline.EngineRef;
import org.espline.dsl.espline.EsplinePackage;
import org.espline.dsl.espline.LinkPort;
import org.espline.dsl.espline.Model;
import org.espline.dsl.espline.OffloadRef;
import org.espline.dsl.espline.PcapPort;
import org.espline.dsl.espline.PipelineKind;
import org.espline.dsl.espline.Policy;
import org.espline.dsl.espline.PortRange;
import org.espline.dsl.espline.ProtectAction;
import org.espline.dsl.espline.TunPort;
import org.espline.dsl.espline.UdpPort;
import org.espline.runtime.buffer.BufferPool;
import org.espline.runtime.engine.CryptoEngine;
import org.espline.runtime.engine.EngineStage;
import org.espline.runtime.offload.OffloadDecryptStage;
import org.espline.runtime.offload.OffloadDevice;
import org.espline.runtime.offload.OffloadEncryptStage;
import org.espline.runtime.pcap.PcapReader;
import org.espline.runtime.pcap.PcapWriter;
import org.espline.runtime.pipeline.ChecksumStage;
import org.espline.runtime.pipeline.ClassifyStage;
import org.espline.runtime.pipeline.DecryptStage;
import org.espline.runtime.pipeline.EncryptStage;
import org.espline.runtime.pipeline.GroStage;
import org.espline.runtime.pipeline.GsoStage;
import org.espline.runtime.pipeline.Pipeline;
import org.espline.runtime.pipeline.Stage;
import org.espline.runtime.pipeline.TapStage;
import org.espline.runtime.port.MemoryLink;
import org.espline.runtime.port.PcapPacketWriter;
import org.espline.runtime.port.PcapSinkPort;
import org.espline.runtime.port.PcapSourcePort;
import org.espline.runtime.port.SinkPort;
import org.espline.runtime.port.SourcePort;
import org.espline.runtime.sa.PolicyAction;
import org.espline.runtime.sa.PolicyDatabase;
import org.espline.runtime.sa.SaConfig;
import org.espline.runtime.sa.SaDatabase;
import org.espline.runtime.sa.SecurityAssociation;
import org.espline.runtime.sa.Selector;
import org.espline.runtime.stats.XfrmCounter;
import org.espline.runtime.stats.XfrmStats;

/**
 * Builds the runtime's interpreted {@link Pipeline}s of a loaded, validated model (DESIGN.md "Generated versus
 * interpreted"). The SAs come from {@link ModelSas#sas(ModelSas.Loaded)}; per build:
 * <ul>
 *   <li>one SAD with every SA of the model and one SPD (outbound: the {@code dir out} and undirected policies, in
 *       model order, first match wins, default discard), shared by all pipelines;</li>
 *   <li>one {@link BufferPool} per {@code buffers} element (missing values: headroom {@value #DEFAULT_HEADROOM},
 *       tailroom {@value #DEFAULT_TAILROOM}, mtu {@value #DEFAULT_MTU}, fragments {@value #DEFAULT_FRAGMENTS}, pool
 *       {@value #DEFAULT_POOL_SIZE}); pipelines naming no {@code buffers} share one pool of those defaults;</li>
 *   <li>per {@code pipeline} a {@link Pipeline} of the model's stages in order, with its own {@link XfrmStats}
 *       and a batch of {@code batch} packets (default {@value #DEFAULT_BATCH}).</li>
 * </ul>
 * Ports: {@code link NAME} is one {@link MemoryLink} per name for the whole build (a tx pipeline's {@code to link x}
 * feeds an rx pipeline's {@code from link x}; one sender and one receiver per link, as {@link MemoryLink} is
 * single-producer single-consumer); {@code pcap "f"} reads or writes {@code f} (relative to the
 * {@linkplain #outputDirectory(Path) output directory}); {@code udp} and {@code tun} open devices of the host, which a
 * build does not do on its own: they are refused unless {@linkplain #withSource replaced} ({@code espline run} replaces
 * them with the runtime's TunDevice and UdpEspSocket). The same directory holds {@code tap pcap} files.
 *
 * <p>{@code gso mss N} becomes a {@link GsoStage} taking segment buffers from the pipeline's pool (the pipeline's
 * work batches grow by its expansion, the source is still asked for {@code batch} packets); {@code gro} becomes a
 * {@link GroStage} with the model's {@code max-size}, {@code max-segments} and {@code flush-us} (defaults
 * {@link GroStage#DEFAULT_MAX_SIZE}, {@link GroStage#DEFAULT_MAX_SEGMENTS}, {@link GroStage#DEFAULT_FLUSH_MICROS});
 * each SA's {@code gro on|off} switches it per SA. Where the pool's fragment slots bound a coalesced packet below
 * {@code max-segments}, that is a note. Before {@code encrypt offload X} on a {@code nic} target with {@code tso}
 * the gso stage hands super-packets through whole ({@link GsoStage#handingThrough}) and the NIC segments them
 * ({@link ModelOffloads#tsoEncryptAfter}). Every stage of the grammar is supported now, so
 * {@link #skipUnsupportedStages(boolean)} skips nothing (kept for stages to come).
 *
 * <p>Crypto: {@code encrypt engine E} / {@code decrypt engine E} on an engine that is not {@code inline} and has
 * {@code workers N} (N at least 1) becomes an {@link EngineStage} on a {@link CryptoEngine} of N workers, a ring
 * of {@code queue} slots (default {@value #DEFAULT_ENGINE_QUEUE}) and the engine's {@code order} (default
 * {@code per-sa}). Each such stage gets its own CryptoEngine (threads {@code espline-E-PIPELINE-i}), not one per
 * model engine shared by the pipelines naming it: an engine is single-producer (one pipeline thread submits and
 * polls), and sharing would couple the pipelines' back-pressure. {@link Built#close()} closes the engines. An
 * inline engine, or none, gives the inline {@link EncryptStage}/{@link DecryptStage}.
 *
 * <p>Offload: {@code encrypt offload X} / {@code decrypt offload X} becomes an {@link OffloadEncryptStage} /
 * {@link OffloadDecryptStage} on the device of target X ({@link ModelOffloads}: one device per target, shared by the
 * pipelines naming it); X gets the SAs that name it with {@code offload X} and those that name no target. A plain
 * {@code encrypt}/{@code decrypt} whose SAs name one target (SA-level {@code offload X}) runs on that target, with
 * only those SAs on the device. What a device refuses goes through software, counted as EsplineOffloadFallback.
 * {@link Built#close()} closes the devices.
 *
 * <p>Not thread-safe; a {@link Built} belongs to its caller, who closes it (pcap files).
 */
public final class ModelPipelines {
    public static final int DEFAULT_HEADROOM = 128;
    public static final int DEFAULT_TAILROOM = 64;
    public static final int DEFAULT_MTU = 1500;
    public static final int DEFAULT_FRAGMENTS = 4;
    public static final int DEFAULT_POOL_SIZE = 1024;
    public static final int DEFAULT_BATCH = 32;
    public static final int DEFAULT_LINK_CAPACITY = 1024;
    /** Ring slots of an engine whose {@code queue} is not given. */
    public static final int DEFAULT_ENGINE_QUEUE = 256;

    /** Which end of a pipeline a substituted port replaces. */
    public enum End { SOURCE, SINK }

    private final ModelSas sas;
    private Path outputDirectory = Path.of("");
    private boolean skipUnsupportedStages;
    private int linkCapacity = DEFAULT_LINK_CAPACITY;
    private long tapLimit = Long.MAX_VALUE;
    private boolean coalescing = true;
    /** Substituted ends: a {@link SourcePort} under {@code End.SOURCE} keys, a {@link SinkPort} under {@code End.SINK}. */
    private final Map<String, Object> substitutes = new HashMap<>();

    public ModelPipelines(ModelSas sas) {
        this.sas = Objects.requireNonNull(sas, "sas");
    }

    /** Where {@code pcap "f"} ports and {@code tap pcap "f"} files are resolved (default: the working directory). */
    public ModelPipelines outputDirectory(Path dir) {
        this.outputDirectory = Objects.requireNonNull(dir, "dir");
        return this;
    }

    /** Leave out stages the interpreted runtime lacks (none at present) instead of refusing the model. */
    public ModelPipelines skipUnsupportedStages(boolean skip) {
        this.skipUnsupportedStages = skip;
        return this;
    }

    /**
     * False builds every {@code gro} stage coalescing nothing (one segment per packet), as {@code espline run
     * --no-offload} wants: with the kernel's offloads off too, every packet stays MTU-sized end to end. Default true.
     */
    public ModelPipelines coalescing(boolean coalesce) {
        this.coalescing = coalesce;
        return this;
    }

    /**
     * Records at most {@code packets} packets per {@code tap pcap} file (the first ones; the tap still passes every
     * packet on): a gateway that runs for hours must not fill the disk with its own traffic. Default: all.
     */
    public ModelPipelines tapLimit(long packets) {
        if (packets < 0) {
            throw new IllegalArgumentException("packets: " + packets + " (expected: packets >= 0)");
        }
        this.tapLimit = packets;
        return this;
    }

    /** Packets in flight on each {@code link}. */
    public ModelPipelines linkCapacity(int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity: " + capacity + " (expected: capacity > 0)");
        }
        this.linkCapacity = capacity;
        return this;
    }

    /** Uses {@code port} instead of what the model names as pipeline {@code pipeline}'s source. */
    public ModelPipelines withSource(String pipeline, SourcePort port) {
        substitutes.put(key(pipeline, End.SOURCE), Objects.requireNonNull(port, "port"));
        return this;
    }

    /** Uses {@code port} instead of what the model names as pipeline {@code pipeline}'s sink. */
    public ModelPipelines withSink(String pipeline, SinkPort port) {
        substitutes.put(key(pipeline, End.SINK), Objects.requireNonNull(port, "port"));
        return this;
    }

    private static String key(String pipeline, End end) {
        return pipeline + "\u0000" + end;
    }

    /** Loads the model (with its imports) and builds it. */
    public Built build(Path model) throws ModelException {
        ModelSas.Loaded loaded = sas.load(model);
        if (loaded.hasErrors()) {
            throw new ModelException(loaded.errors());
        }
        return build(loaded);
    }

    /**
     * Builds the pipelines of loaded models.
     *
     * @throws ModelException for a model with errors, SAs that are no configuration, and everything the
     *         interpreted runtime cannot run (each with its position)
     */
    public Built build(ModelSas.Loaded loaded) throws ModelException {
        if (loaded.hasErrors()) {
            throw new ModelException(loaded.errors());
        }
        List<SaConfig> configs = sas.sas(loaded);
        Builder b = new Builder(loaded, configs);
        Set<String> names = new HashSet<>();
        for (Model m : loaded.models()) {
            for (Element e : m.getElements()) {
                if (e instanceof org.espline.dsl.espline.Pipeline p) {
                    names.add(p.getName());
                }
            }
        }
        for (String k : substitutes.keySet()) {
            String pipeline = k.substring(0, k.indexOf('\u0000'));
            if (!names.contains(pipeline)) {
                throw new IllegalArgumentException("withSource/withSink: the model has no pipeline " + pipeline + " (pipelines: "
                        + new TreeSet<>(names) + ")");
            }
        }
        try {
            b.run();
        } catch (RuntimeException e) {
            b.built.close();
            throw e;
        }
        if (!b.problems.isEmpty()) {
            b.built.close();
            throw new ModelException(b.problems);
        }
        return b.built;
    }

    /** The result of a build: the shared tables, pools and links, and one pipeline per {@code pipeline}. */
    public static final class Built implements Closeable {
        private final SaDatabase sad = new SaDatabase();
        private final PolicyDatabase spd = new PolicyDatabase(PolicyAction.DISCARD);
        private final Map<String, BufferPool> pools = new LinkedHashMap<>();
        private final Map<String, MemoryLink> links = new LinkedHashMap<>();
        private final Map<String, Pipeline> pipelines = new LinkedHashMap<>();
        private final Map<String, XfrmStats> stats = new HashMap<>();
        private final Map<String, BufferPool> pipelinePools = new HashMap<>();
        private final Map<String, List<Stage>> stages = new HashMap<>();
        private final List<String> skipped = new ArrayList<>();
        private final List<ModelProblem> notes = new ArrayList<>();
        private final List<Closeable> files = new ArrayList<>();
        private final List<CryptoEngine> engines = new ArrayList<>();
        private ModelOffloads offloads;

        Built() {
        }

        public SaDatabase sad() { return sad; }

        public PolicyDatabase spd() { return spd; }

        /** The pools by {@code buffers} name (the default pool, if used, is {@code ""}). */
        public Map<String, BufferPool> pools() { return Collections.unmodifiableMap(pools); }

        /** The links by name. */
        public Map<String, MemoryLink> links() { return Collections.unmodifiableMap(links); }

        /** The pipelines by name, in model order. */
        public Map<String, Pipeline> pipelines() { return Collections.unmodifiableMap(pipelines); }

        public Pipeline pipeline(String name) {
            Pipeline p = pipelines.get(name);
            if (p == null) {
                throw new IllegalArgumentException("no pipeline " + name + " (pipelines: " + pipelines.keySet() + ")");
            }
            return p;
        }

        /** The counters of one pipeline's stages. */
        public XfrmStats stats(String pipeline) {
            pipeline(pipeline);
            return stats.get(pipeline);
        }

        /** The pool a pipeline's source fills. */
        public BufferPool pool(String pipeline) {
            pipeline(pipeline);
            return pipelinePools.get(pipeline);
        }

        /** The stage instances of one pipeline, in order (for their own counters, e.g. {@link TapStage#records()}). */
        public List<Stage> stages(String pipeline) {
            pipeline(pipeline);
            return Collections.unmodifiableList(stages.get(pipeline));
        }

        /** Stages left out by {@link ModelPipelines#skipUnsupportedStages(boolean)}, as {@code pipeline: stage}. */
        public List<String> skippedStages() { return Collections.unmodifiableList(skipped); }

        /** What runs differently from what the model says (warnings with positions), e.g. inline crypto. */
        public List<ModelProblem> notes() { return Collections.unmodifiableList(notes); }

        /** The asynchronous crypto engines of the pipelines' engine stages, in build order. */
        public List<CryptoEngine> engines() { return Collections.unmodifiableList(engines); }

        /** The offload devices the pipelines run on, in the order they were made. */
        public List<OffloadDevice> offloadDevices() {
            return offloads == null ? List.of() : offloads.devices();
        }

        /**
         * Stops the crypto engines (each completes what was submitted to it: run the pipelines to their end first
         * to have those packets delivered), then flushes and closes the pcap files the build opened (substituted
         * ports stay with their owner).
         */
        @Override
        public void close() {
            for (CryptoEngine e : engines) {
                e.close();
            }
            if (offloads != null) {
                offloads.close();
            }
            IOException first = null;
            for (Closeable c : files) {
                try {
                    c.close();
                } catch (IOException e) {
                    if (first == null) {
                        first = e;
                    }
                }
            }
            files.clear();
            if (first != null) {
                throw new UncheckedIOException(first);
            }
        }
    }

    private final class Builder {
        final ModelSas.Loaded loaded;
        final List<SaConfig> configs;
        final Built built = new Built();
        final List<ModelProblem> problems = new ArrayList<>();
        final Map<String, SecurityAssociation> byName = new HashMap<>();
        final Map<String, String> linkSenders = new HashMap<>();
        final Map<String, String> linkReceivers = new HashMap<>();

        Builder(ModelSas.Loaded loaded, List<SaConfig> configs) {
            this.loaded = loaded;
            this.configs = configs;
        }

        void run() {
            built.offloads = new ModelOffloads(loaded);
            for (SaConfig c : configs) {
                SecurityAssociation sa = new SecurityAssociation(c);
                built.sad.put(sa);
                byName.put(c.name(), sa);
            }
            List<Model> models = loaded.models();
            for (Model m : models) {
                for (Element e : m.getElements()) {
                    if (e instanceof Policy p) {
                        policy(p);
                    }
                }
            }
            for (Model m : models) {
                for (Element e : m.getElements()) {
                    if (e instanceof org.espline.dsl.espline.Pipeline p) {
                        pipeline(p);
                    }
                }
            }
        }

        private void error(org.eclipse.emf.ecore.EObject o, org.eclipse.emf.ecore.EStructuralFeature f, String message) {
            problems.add(ModelSas.problem(loaded, o, f, message));
        }

        private void note(org.eclipse.emf.ecore.EObject o, String message) {
            ModelProblem p = ModelSas.problem(loaded, o, null, message);
            built.notes.add(new ModelProblem(p.file(), p.line(), p.column(), ModelProblem.Severity.WARNING, message));
        }

        // ------------------------------------------------------------ SPD

        /** The SPD is outbound (classification on tx): {@code dir in} policies are not in it. */
        private void policy(Policy p) {
            if (p.getDirection() == Direction.IN) {
                return;
            }
            PolicyAction action;
            SecurityAssociation sa = null;
            if (p.getAction() instanceof ProtectAction protect) {
                sa = protect.getSa() == null ? null : byName.get(protect.getSa().getName());
                if (sa == null) {
                    error(p.getAction(), null, "policy " + p.getName() + ": no usable SA to protect with");
                    return;
                }
                action = PolicyAction.PROTECT;
            } else if (p.getAction() instanceof BypassAction) {
                action = PolicyAction.BYPASS;
            } else {
                action = PolicyAction.DISCARD;
            }
            int protocol = ModelSas.protocol(p);
            int[] sports = range(p.getSourcePorts());
            int[] dports = range(p.getDestinationPorts());
            for (InetAddress[] f : ModelSas.selectorFamilies(loaded, p, problems)) {
                try {
                    Selector s = new Selector(f[0], ModelSas.prefixLength(p.getSource(), f[0]), f[1],
                            ModelSas.prefixLength(p.getDestination(), f[1]), protocol, sports[0], sports[1], dports[0], dports[1]);
                    built.spd.add(new org.espline.runtime.sa.Policy(s, action, sa));
                } catch (IllegalArgumentException e) {
                    error(p, EsplinePackage.Literals.ELEMENT__NAME, "policy " + p.getName() + ": " + e.getMessage());
                }
            }
        }

        private int[] range(PortRange r) {
            if (r == null) {
                return new int[] {0, 0xFFFF};
            }
            int to = ModelSas.absent(r, EsplinePackage.Literals.PORT_RANGE__TO) ? r.getFrom() : r.getTo();
            return new int[] {r.getFrom(), to};
        }

        // ------------------------------------------------------------ pools

        private BufferPool pool(org.espline.dsl.espline.Pipeline p) {
            Buffers b = p.getBuffers();
            String name = b == null ? "" : b.getName();
            BufferPool existing = built.pools.get(name);
            if (existing != null) {
                return existing;
            }
            int headroom = DEFAULT_HEADROOM;
            int tailroom = DEFAULT_TAILROOM;
            int mtu = DEFAULT_MTU;
            int fragments = DEFAULT_FRAGMENTS;
            int size = DEFAULT_POOL_SIZE;
            if (b != null) {
                headroom = value(b, EsplinePackage.Literals.BUFFERS__HEADROOM, b.getHeadroom(), headroom);
                tailroom = value(b, EsplinePackage.Literals.BUFFERS__TAILROOM, b.getTailroom(), tailroom);
                mtu = value(b, EsplinePackage.Literals.BUFFERS__MTU, b.getMtu(), mtu);
                fragments = value(b, EsplinePackage.Literals.BUFFERS__MAX_FRAGMENTS, b.getMaxFragments(), fragments);
                size = value(b, EsplinePackage.Literals.BUFFERS__POOL_SIZE, b.getPoolSize(), size);
            }
            BufferPool pool;
            try {
                pool = new BufferPool(size, headroom, mtu, tailroom, fragments);
            } catch (IllegalArgumentException e) {
                error(b == null ? p : b, EsplinePackage.Literals.ELEMENT__NAME, "buffers " + name + ": " + e.getMessage());
                return null;
            }
            built.pools.put(name, pool);
            return pool;
        }

        private int value(Buffers b, org.eclipse.emf.ecore.EStructuralFeature f, int v, int otherwise) {
            return ModelSas.absent(b, f) ? otherwise : v;
        }

        // ------------------------------------------------------------ pipelines

        private void pipeline(org.espline.dsl.espline.Pipeline p) {
            String name = p.getName();
            if (built.pipelines.containsKey(name)) {
                error(p, EsplinePackage.Literals.ELEMENT__NAME, "pipeline " + name
                        + ": another pipeline of the same name is built already (build the models separately)");
                return;
            }
            int before = problems.size();
            boolean tx = p.getKind() == PipelineKind.TX;
            BufferPool pool = pool(p);
            XfrmStats stats = new XfrmStats();
            List<Stage> stages = new ArrayList<>();
            for (org.espline.dsl.espline.Stage s : p.getStages()) {
                Stage st = stage(p, s, stats, tx, pool);
                if (st != null) {
                    stages.add(st);
                }
            }
            SourcePort source = (SourcePort) port(p, End.SOURCE, p.getSource(), pool);
            SinkPort sink = (SinkPort) port(p, End.SINK, p.getSink(), pool);
            int batch = ModelSas.absent(p, EsplinePackage.Literals.PIPELINE__BATCH_SIZE) ? DEFAULT_BATCH : p.getBatchSize();
            if (batch <= 0) {
                error(p, EsplinePackage.Literals.PIPELINE__BATCH_SIZE, "pipeline " + name + ": batch must be positive, was " + batch);
            }
            if (problems.size() != before) {
                return;
            }
            built.pipelines.put(name, new Pipeline(source, stages.toArray(new Stage[0]), sink, batch));
            built.stats.put(name, stats);
            built.pipelinePools.put(name, pool);
            built.stages.put(name, stages);
        }

        private Stage stage(org.espline.dsl.espline.Pipeline p, org.espline.dsl.espline.Stage s, XfrmStats stats, boolean tx,
                            BufferPool pool) {
            if (s instanceof org.espline.dsl.espline.ClassifyStage) {
                return new ClassifyStage(built.spd, stats);
            }
            if (s instanceof org.espline.dsl.espline.EncryptStage e) {
                OffloadDevice device = offloadDevice(p, "encrypt", e.getCrypto());
                if (device != null) {
                    org.espline.dsl.espline.GsoStage tso = ModelOffloads.tsoGsoBefore(e);
                    return tso != null && pool != null ? new OffloadEncryptStage(device, stats, pool, tso.getMss())
                            : new OffloadEncryptStage(device, stats);
                }
                Engine engine = asyncEngine(p, "encrypt", e.getCrypto());
                if (engine != null) {
                    CryptoEngine ce = CryptoEngine.encrypting(engine.getName() + "-" + p.getName(), engine.getWorkers(),
                            queue(engine), order(engine), stats);
                    built.engines.add(ce);
                    return new EngineStage(ce);
                }
                return new EncryptStage(stats);
            }
            if (s instanceof org.espline.dsl.espline.DecryptStage d) {
                OffloadDevice device = offloadDevice(p, "decrypt", d.getCrypto());
                if (device != null) {
                    return new OffloadDecryptStage(device, built.sad, stats, false);
                }
                Engine engine = asyncEngine(p, "decrypt", d.getCrypto());
                if (engine != null) {
                    CryptoEngine ce = CryptoEngine.decrypting(engine.getName() + "-" + p.getName(), engine.getWorkers(),
                            queue(engine), order(engine), built.sad, stats, false);
                    built.engines.add(ce);
                    return new EngineStage(ce);
                }
                return new DecryptStage(built.sad, stats, false);
            }
            if (s instanceof org.espline.dsl.espline.ChecksumStage) {
                return new ChecksumStage(stats, tx ? XfrmCounter.XfrmOutBundleGenError : XfrmCounter.XfrmInHdrError);
            }
            if (s instanceof org.espline.dsl.espline.TapStage t) {
                PcapWriter w = writer(t, EsplinePackage.Literals.TAP_STAGE__FILE, t.getFile());
                if (w == null) {
                    return null;
                }
                PcapPacketWriter pcap = new PcapPacketWriter(w);
                if (tapLimit == Long.MAX_VALUE) {
                    return new TapStage(pcap);
                }
                long[] left = {tapLimit};
                return new TapStage(packet -> {
                    if (left[0] > 0) {
                        left[0]--;
                        pcap.write(packet);
                    }
                });
            }
            if (s instanceof org.espline.dsl.espline.GsoStage g) {
                return gso(g, stats, pool);
            }
            if (s instanceof org.espline.dsl.espline.GroStage g) {
                return gro(p, g, pool);
            }
            String word = s.eClass().getName();
            if (skipUnsupportedStages) {
                built.skipped.add(p.getName() + ": " + word);
                note(s, "pipeline " + p.getName() + ": stage " + word + " skipped (not supported by the interpreted runtime yet)");
            } else {
                error(s, null, "stage " + word + " is not supported by the interpreted runtime yet");
            }
            return null;
        }

        private Stage gso(org.espline.dsl.espline.GsoStage g, XfrmStats stats, BufferPool pool) {
            if (pool == null) {
                return null;
            }
            try {
                return ModelOffloads.tsoEncryptAfter(g) != null ? GsoStage.handingThrough(g.getMss(), pool, stats)
                        : new GsoStage(g.getMss(), pool, stats);
            } catch (IllegalArgumentException e) {
                error(g, EsplinePackage.Literals.GSO_STAGE__MSS, "gso: " + e.getMessage());
                return null;
            }
        }

        private Stage gro(org.espline.dsl.espline.Pipeline p, org.espline.dsl.espline.GroStage g, BufferPool pool) {
            int maxSize = ModelSas.absent(g, EsplinePackage.Literals.GRO_STAGE__MAX_SIZE) ? GroStage.DEFAULT_MAX_SIZE : g.getMaxSize();
            int maxSegments = ModelSas.absent(g, EsplinePackage.Literals.GRO_STAGE__MAX_SEGMENTS)
                    ? GroStage.DEFAULT_MAX_SEGMENTS : g.getMaxSegments();
            int flush = ModelSas.absent(g, EsplinePackage.Literals.GRO_STAGE__FLUSH_MICROS)
                    ? GroStage.DEFAULT_FLUSH_MICROS : g.getFlushMicros();
            if (!coalescing) {
                maxSegments = 1;
            }
            GroStage stage;
            try {
                stage = new GroStage(maxSize, maxSegments, flush);
            } catch (IllegalArgumentException e) {
                error(g, null, "gro: " + e.getMessage());
                return null;
            }
            if (pool != null) {
                // A coalesced packet keeps one fragment slot free; each merged segment takes at least one.
                int bySlots = Math.max(1, pool.maxFragments());
                if (bySlots < maxSegments) {
                    note(g, "pipeline " + p.getName() + ": gro coalesces at most " + bySlots + " segments (buffers have "
                            + pool.maxFragments() + " fragment slots, one kept free), not max-segments " + maxSegments);
                }
            }
            return stage;
        }

        /**
         * The engine an {@code encrypt}/{@code decrypt} runs on asynchronously: one that is not {@code inline} and
         * has {@code workers} of at least 1; null for inline crypto (no engine, an inline engine, an offload, whose
         * note says it runs inline). A queue below 1 is an error.
         */
        private Engine asyncEngine(org.espline.dsl.espline.Pipeline p, String stage, CryptoPlacement c) {
            if (c instanceof EngineRef r && r.getEngine() != null) {
                Engine e = r.getEngine();
                if (e.isInline() || ModelSas.absent(e, EsplinePackage.Literals.ENGINE__WORKERS) || e.getWorkers() < 1) {
                    return null;
                }
                if (queue(e) < 1) {
                    error(e, EsplinePackage.Literals.ENGINE__QUEUE_DEPTH, "engine " + e.getName()
                            + ": queue must be positive, was " + e.getQueueDepth());
                    return null;
                }
                return e;
            }
            return null;
        }

        /**
         * The device an {@code encrypt}/{@code decrypt} runs on: its own {@code offload X}, else the one target its
         * SAs name; null for none (or several, with a note: those SAs then take the software path here).
         */
        private OffloadDevice offloadDevice(org.espline.dsl.espline.Pipeline p, String stage, CryptoPlacement c) {
            if (c instanceof OffloadRef r && r.getOffload() != null && !r.getOffload().eIsProxy()) {
                return built.offloads.bind(r.getOffload(), built.sad.all(), true);
            }
            if (c != null) {
                return null;
            }
            java.util.Set<org.espline.dsl.espline.Offload> targets = new java.util.LinkedHashSet<>();
            for (SecurityAssociation sa : built.sad.all()) {
                org.espline.dsl.espline.Offload t = built.offloads.targetOf(sa.config().name());
                if (t != null) {
                    targets.add(t);
                }
            }
            if (targets.size() == 1) {
                return built.offloads.bind(targets.iterator().next(), built.sad.all(), false);
            }
            if (targets.size() > 1) {
                note(p, "pipeline " + p.getName() + ": " + stage + " has SAs on several offload targets ("
                        + targets.stream().map(org.espline.dsl.espline.Offload::getName).collect(java.util.stream.Collectors.joining(", "))
                        + "); one stage runs one device, so name it with '" + stage + " offload X' (now: software)");
            }
            return null;
        }

        private int queue(Engine e) {
            return ModelSas.absent(e, EsplinePackage.Literals.ENGINE__QUEUE_DEPTH) ? DEFAULT_ENGINE_QUEUE : e.getQueueDepth();
        }

        private CryptoEngine.Order order(Engine e) {
            if (ModelSas.absent(e, EsplinePackage.Literals.ENGINE__ORDERING)) {
                return CryptoEngine.Order.PER_SA;
            }
            switch (e.getOrdering()) {
                case GLOBAL:
                    return CryptoEngine.Order.GLOBAL;
                case NONE:
                    return CryptoEngine.Order.NONE;
                default:
                    return CryptoEngine.Order.PER_SA;
            }
        }

        /** A {@link SourcePort} for {@code End.SOURCE}, a {@link SinkPort} for {@code End.SINK}, or null (an error was noted). */
        private Object port(org.espline.dsl.espline.Pipeline p, End end, org.espline.dsl.espline.Port port, BufferPool pool) {
            Object substitute = substitutes.get(key(p.getName(), end));
            if (substitute != null) {
                return substitute;
            }
            if (port instanceof LinkPort l) {
                Map<String, String> ends = end == End.SOURCE ? linkReceivers : linkSenders;
                String other = ends.putIfAbsent(l.getLink(), p.getName());
                if (other != null) {
                    error(port, EsplinePackage.Literals.LINK_PORT__LINK, "link " + l.getLink() + " already has a "
                            + (end == End.SOURCE ? "receiver" : "sender") + ", pipeline " + other
                            + ": a link is one wire with one sender and one receiver");
                    return null;
                }
                return built.links.computeIfAbsent(l.getLink(), n -> new MemoryLink(linkCapacity));
            }
            if (port instanceof PcapPort f) {
                if (end == End.SINK) {
                    PcapWriter w = writer(f, EsplinePackage.Literals.PCAP_PORT__FILE, f.getFile());
                    return w == null ? null : new PcapSinkPort(w);
                }
                Path file = outputDirectory.resolve(f.getFile());
                try {
                    PcapReader r = new PcapReader(file);
                    built.files.add(r);
                    return pool == null ? null : new PcapSourcePort(r, pool);
                } catch (IOException e) {
                    error(f, EsplinePackage.Literals.PCAP_PORT__FILE, "pcap \"" + f.getFile() + "\": cannot read " + file
                            + ": " + e.getMessage());
                    return null;
                }
            }
            String word = port instanceof UdpPort ? "udp" : port instanceof TunPort ? "tun" : "?";
            error(port, null, "port " + word + " opens a device of this host: run the model with espline run, or substitute the port");
            return null;
        }

        private PcapWriter writer(org.eclipse.emf.ecore.EObject o, org.eclipse.emf.ecore.EStructuralFeature f, String name) {
            Path file = outputDirectory.resolve(name);
            try {
                PcapWriter w = new PcapWriter(file);
                built.files.add(w);
                return w;
            } catch (IOException e) {
                error(o, f, "pcap \"" + name + "\": cannot write " + file + ": " + e.getMessage());
                return null;
            }
        }
    }
}
