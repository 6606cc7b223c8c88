package org.espline.dsl.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.inject.Inject;
import com.google.inject.Provider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.eclipse.emf.common.util.URI;
import org.eclipse.xtext.diagnostics.Severity;
import org.eclipse.xtext.nodemodel.util.NodeModelUtils;
import org.eclipse.xtext.resource.XtextResourceSet;
import org.eclipse.xtext.testing.InjectWith;
import org.eclipse.xtext.testing.extensions.InjectionExtension;
import org.eclipse.xtext.testing.util.ParseHelper;
import org.eclipse.xtext.testing.validation.ValidationTestHelper;
import org.eclipse.xtext.validation.Issue;
import org.espline.dsl.espline.AeadAlgorithm;
import org.espline.dsl.espline.AeadName;
import org.espline.dsl.espline.BypassAction;
import org.espline.dsl.espline.Buffers;
import org.espline.dsl.espline.ChecksumStage;
import org.espline.dsl.espline.CipherIntegrity;
import org.espline.dsl.espline.CipherName;
import org.espline.dsl.espline.ClassifyStage;
import org.espline.dsl.espline.DecryptStage;
import org.espline.dsl.espline.Direction;
import org.espline.dsl.espline.DiscardAction;
import org.espline.dsl.espline.EncryptStage;
import org.espline.dsl.espline.Engine;
import org.espline.dsl.espline.EsplinePackage;
import org.espline.dsl.espline.EngineRef;
import org.espline.dsl.espline.EnvironmentKey;
import org.espline.dsl.espline.FileKey;
import org.espline.dsl.espline.GroStage;
import org.espline.dsl.espline.GsoStage;
import org.espline.dsl.espline.HexKey;
import org.espline.dsl.espline.IntegrityName;
import org.espline.dsl.espline.Lifetime;
import org.espline.dsl.espline.Limit;
import org.espline.dsl.espline.LinkPort;
import org.espline.dsl.espline.Model;
import org.espline.dsl.espline.Offload;
import org.espline.dsl.espline.OffloadKind;
import org.espline.dsl.espline.OffloadRef;
import org.espline.dsl.espline.Ordering;
import org.espline.dsl.espline.PcapPort;
import org.espline.dsl.espline.Pipeline;
import org.espline.dsl.espline.PipelineKind;
import org.espline.dsl.espline.Policy;
import org.espline.dsl.espline.ProtectAction;
import org.espline.dsl.espline.Protocol;
import org.espline.dsl.espline.SecurityAssociation;
import org.espline.dsl.espline.Switch;
import org.espline.dsl.espline.TapStage;
import org.espline.dsl.espline.TransportMode;
import org.espline.dsl.espline.TunPort;
import org.espline.dsl.espline.TunnelMode;
import org.espline.dsl.espline.UdpPort;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * One test per grammar rule: the text parses, links and validates without errors, and the model holds the values
 * written. Element tests name the rule they cover; enum rules are covered literal by literal.
 */
@ExtendWith(InjectionExtension.class)
@InjectWith(EsplineInjectorProvider.class)
class EsplineParsingTest {

    private static final String GCM_KEY = "0x0123456789abcdef0123456789abcdef01234567";
    private static final String AES128_KEY = "0x00112233445566778899aabbccddeeff";
    private static final String SHA256_KEY = "0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    @Inject
    private ParseHelper<Model> parseHelper;

    @Inject
    private ValidationTestHelper validationHelper;

    @Inject
    private Provider<XtextResourceSet> resourceSets;

    // ------------------------------------------------------------------ Model, QualifiedName, Import

    @Test
    void emptyModel() throws Exception {
        Model model = parse("");
        assertNull(model.getName());
        assertTrue(model.getImports().isEmpty());
        assertTrue(model.getElements().isEmpty());
    }

    @Test
    void packageWithQualifiedName() throws Exception {
        Model model = parse("package org.example.site2site");
        assertEquals("org.example.site2site", model.getName());
    }

    @Test
    void packageWithHexLetterSegments() throws Exception {
        // 'dead', 'beef', 'cafe' and 'fe80' consist of hex digits, yet are IDs: no ':' follows them.
        assertEquals("dead.beef.cafe.fe80", parse("package dead.beef.cafe.fe80").getName());
    }

    @Test
    void importResolvesElementsOfTheImportedFile(@TempDir Path folder) throws Exception {
        // Imports are resolved against the importing file's URI and loaded from there, as the CLI and LSP do.
        Files.writeString(folder.resolve("shared.espl"), """
                package shared
                sa a_to_b { spi 0x1001 dir out }
                engine crypto { workers 2 }
                """);
        Model model = parseHelper.parse("""
                package gw_a
                import "shared.espl"
                policy p { src 10.1.0.0/16 dst 10.2.0.0/16 protect a_to_b }
                pipeline egress tx { from link lan encrypt engine crypto to link wan }
                """, URI.createFileURI(folder.resolve("gw-a.espl").toString()), resourceSets.get());
        validationHelper.assertNoErrors(model);

        assertEquals("shared.espl", model.getImports().get(0).getImportURI());
        SecurityAssociation sa = ((ProtectAction) ((Policy) model.getElements().get(0)).getAction()).getSa();
        assertEquals("a_to_b", sa.getName());
        assertEquals("0x1001", sa.getSpi());
        assertTrue(sa.eResource().getURI().toString().endsWith("/shared.espl"));
        EngineRef engine = (EngineRef) ((EncryptStage) ((Pipeline) model.getElements().get(1)).getStages().get(0)).getCrypto();
        assertEquals(2, engine.getEngine().getWorkers());
    }

    @Test
    void withoutImportOtherFilesAreNotVisible(@TempDir Path folder) throws Exception {
        XtextResourceSet resourceSet = resourceSets.get();
        Files.writeString(folder.resolve("shared.espl"), "sa a_to_b { spi 0x1001 }");
        resourceSet.getResource(URI.createFileURI(folder.resolve("shared.espl").toString()), true);
        Model model = parseHelper.parse("policy p { src any dst any protect a_to_b }",
                URI.createFileURI(folder.resolve("gw-a.espl").toString()), resourceSet);
        assertEquals(List.of("Couldn't resolve reference to SecurityAssociation 'a_to_b'."), errors(model));
    }

    @Test
    void importOfAMissingFileIsAnError(@TempDir Path folder) throws Exception {
        Model model = parseHelper.parse("import \"missing.espl\"",
                URI.createFileURI(folder.resolve("gw-a.espl").toString()), resourceSets.get());
        assertEquals(List.of("imported file 'missing.espl' not found: expected a model at "
                + URI.createFileURI(folder.resolve("missing.espl").toString())), errors(model));
    }

    @Test
    void keywordsAreNoNamesUnlessEscaped() throws Exception {
        Model model = parseHelper.parse("engine pool { inline }");
        assertEquals(List.of("mismatched input 'pool' expecting RULE_ID"), errors(model));
        assertEquals("pool", ((Engine) parse("engine ^pool { inline }").getElements().get(0)).getName());
    }

    @Test
    void namesAreUniquePerFile() throws Exception {
        Model model = parseHelper.parse("sa x { spi 0x1001 mode transport aead aes128gcm16 key env K } engine x { inline }");
        assertEquals(2, errors(model).size(), () -> String.join("\n", errors(model)));
    }

    // ------------------------------------------------------------------ SecurityAssociation and its parts

    @Test
    void securityAssociationWithEveryProperty() throws Exception {
        Model model = parse("""
                offload nic0 { type nic }
                sa a_to_b {
                    spi 0x00001001
                    dir out
                    mode tunnel src 192.0.2.1 dst 198.51.100.1
                    encap udp 4500 4501
                    aead aes128gcm16 key %s
                    esn
                    replay-window 1024
                    replay-seq 7
                    replay-oseq 0x10
                    lifetime soft 1000000 packets hard 2000000 packets
                    offload nic0
                    gro off
                    tfc-pad 64
                }
                """.formatted(GCM_KEY));
        SecurityAssociation sa = (SecurityAssociation) model.getElements().get(1);
        assertEquals("a_to_b", sa.getName());
        assertEquals("0x00001001", sa.getSpi());
        assertEquals(Direction.OUT, sa.getDirection());
        TunnelMode tunnel = assertInstanceOf(TunnelMode.class, sa.getMode());
        assertEquals("192.0.2.1", tunnel.getSource());
        assertEquals("198.51.100.1", tunnel.getDestination());
        assertEquals(4500, sa.getEncap().getSourcePort());
        assertEquals(4501, sa.getEncap().getDestinationPort());
        AeadAlgorithm aead = assertInstanceOf(AeadAlgorithm.class, sa.getAlgorithm());
        assertEquals(AeadName.AES128GCM16, aead.getName());
        assertEquals(GCM_KEY, ((HexKey) aead.getKey()).getHex());
        assertTrue(sa.isEsn());
        assertEquals("1024", sa.getReplayWindow());
        assertEquals("7", sa.getInboundSequence());
        assertEquals("0x10", sa.getOutboundSequence());
        assertEquals("1000000 packets", limits(sa.getLifetime().getSoft()));
        assertEquals("2000000 packets", limits(sa.getLifetime().getHard()));
        assertSame(model.getElements().get(0), sa.getOffload());
        assertEquals(Switch.OFF, sa.getGro());
        assertEquals("64", sa.getTfcPadding());
    }

    @Test
    void securityAssociationPropertiesInAnyOrder() throws Exception {
        Model model = parse("""
                sa b_to_a {
                    gro on
                    replay-window 64
                    enc aes128 key %s auth sha256 key %s
                    dir in
                    mode transport
                    spi 4097
                }
                """.formatted(AES128_KEY, SHA256_KEY));
        SecurityAssociation sa = (SecurityAssociation) model.getElements().get(0);
        assertEquals("4097", sa.getSpi());
        assertEquals(Direction.IN, sa.getDirection());
        assertInstanceOf(TransportMode.class, sa.getMode());
        assertEquals("64", sa.getReplayWindow());
        assertEquals(Switch.ON, sa.getGro());
        assertInstanceOf(CipherIntegrity.class, sa.getAlgorithm());
    }

    @Test
    void securityAssociationPropertyTwiceIsASyntaxError() throws Exception {
        Model model = parseHelper.parse("sa x { spi 0x1001 spi 0x1002 }");
        assertFalse(model.eResource().getErrors().isEmpty());
    }

    @Test
    void emptySecurityAssociation() throws Exception {
        SecurityAssociation sa = (SecurityAssociation) parse("sa x { }").getElements().get(0);
        assertNull(sa.getSpi());
        assertNull(sa.getMode());
        assertNull(sa.getAlgorithm());
        assertFalse(sa.isEsn());
    }

    @Test
    void absentDirectionReadsAsAnyAndDiffersFromAnExplicitIn() throws Exception {
        SecurityAssociation implicit = onlySa("spi 0x1001");
        SecurityAssociation explicit = onlySa("spi 0x1001 dir in");
        assertEquals(Direction.ANY, implicit.getDirection());
        assertEquals(Direction.IN, explicit.getDirection());
        assertEquals(Direction.ANY, onlySa("spi 0x1001 dir any").getDirection());
        assertTrue(NodeModelUtils.findNodesForFeature(implicit, EsplinePackage.Literals.SECURITY_ASSOCIATION__DIRECTION).isEmpty());
        assertEquals(1, NodeModelUtils.findNodesForFeature(explicit, EsplinePackage.Literals.SECURITY_ASSOCIATION__DIRECTION).size());
    }

    @Test
    void tunnelModeWithIpv6Endpoints() throws Exception {
        SecurityAssociation sa = onlySa("mode tunnel src 2001:db8::1 dst fe80::1");
        TunnelMode tunnel = (TunnelMode) sa.getMode();
        assertEquals("2001:db8::1", tunnel.getSource());
        assertEquals("fe80::1", tunnel.getDestination());
    }

    @Test
    void transportMode() throws Exception {
        assertInstanceOf(TransportMode.class, onlySa("mode transport").getMode());
    }

    @ParameterizedTest
    @EnumSource(AeadName.class)
    void aeadAlgorithm(AeadName name) throws Exception {
        String key = hexKey(keyBytes(name.getLiteral()));
        AeadAlgorithm aead = (AeadAlgorithm) onlySa("aead " + name.getLiteral() + " key " + key).getAlgorithm();
        assertEquals(name, aead.getName());
        assertEquals(key, ((HexKey) aead.getKey()).getHex());
    }

    @ParameterizedTest
    @EnumSource(value = CipherName.class, names = "NULL", mode = EnumSource.Mode.EXCLUDE)
    void cipherWithIntegrity(CipherName cipher) throws Exception {
        String key = hexKey(keyBytes(cipher.getLiteral()));
        CipherIntegrity algorithm = (CipherIntegrity) onlySa(
                "enc " + cipher.getLiteral() + " key " + key + " auth sha256 key " + SHA256_KEY).getAlgorithm();
        assertEquals(cipher, algorithm.getCipher());
        assertEquals(key, ((HexKey) algorithm.getCipherKey()).getHex());
        assertEquals(IntegrityName.SHA256_128, algorithm.getIntegrity());
        assertEquals(SHA256_KEY, ((HexKey) algorithm.getIntegrityKey()).getHex());
    }

    @ParameterizedTest
    @EnumSource(IntegrityName.class)
    void integrityAlgorithm(IntegrityName integrity) throws Exception {
        String key = hexKey(keyBytes(integrity.getLiteral()));
        CipherIntegrity algorithm = (CipherIntegrity) onlySa(
                "enc aes128 key " + AES128_KEY + " auth " + integrity.getLiteral() + " key " + key).getAlgorithm();
        assertEquals(integrity, algorithm.getIntegrity());
        assertEquals(key, ((HexKey) algorithm.getIntegrityKey()).getHex());
    }

    @Test
    void cipherWithoutIntegrity() throws Exception {
        CipherIntegrity algorithm = (CipherIntegrity) onlySa("enc aes128 key " + AES128_KEY).getAlgorithm();
        assertEquals(CipherName.AES128, algorithm.getCipher());
        assertEquals(AES128_KEY, ((HexKey) algorithm.getCipherKey()).getHex());
        // An absent optional enum reads as its first literal (EMF); the missing key says there is no 'auth'.
        assertNull(algorithm.getIntegrityKey());
    }

    @Test
    void nullEncryptionWithIntegrity() throws Exception {
        CipherIntegrity algorithm = (CipherIntegrity) onlySa("enc null auth sha256 key " + SHA256_KEY).getAlgorithm();
        assertEquals(CipherName.NULL, algorithm.getCipher());
        assertNull(algorithm.getCipherKey());
        assertEquals(IntegrityName.SHA256_128, algorithm.getIntegrity());
    }

    @Test
    void hexKey() throws Exception {
        String key = "0xDEADBEEFdeadbeef" + "00".repeat(28);
        AeadAlgorithm aead = (AeadAlgorithm) onlySa("aead aes256gcm16 key " + key).getAlgorithm();
        assertEquals(key, ((HexKey) aead.getKey()).getHex());
    }

    @Test
    void environmentKey() throws Exception {
        AeadAlgorithm aead = (AeadAlgorithm) onlySa("aead aes128gcm16 key env GW_A_OUT_KEY").getAlgorithm();
        assertEquals("GW_A_OUT_KEY", ((EnvironmentKey) aead.getKey()).getVariable());
    }

    @Test
    void fileKey() throws Exception {
        CipherIntegrity algorithm = (CipherIntegrity) onlySa(
                "enc aes256 key file \"/etc/espline/keys/b_to_a.enc\" auth sha512 key env AUTH").getAlgorithm();
        assertEquals("/etc/espline/keys/b_to_a.enc", ((FileKey) algorithm.getCipherKey()).getPath());
        assertEquals("AUTH", ((EnvironmentKey) algorithm.getIntegrityKey()).getVariable());
    }

    @Test
    void lifetimeSoftAndHardWithEveryUnit() throws Exception {
        Lifetime lifetime = onlySa("""
                lifetime soft 3000000000 bytes 1000000 packets 3300 seconds
                         hard 4000000000 bytes 0x2000000 packets 3600 seconds""").getLifetime();
        assertEquals("3000000000 bytes, 1000000 packets, 3300 seconds", limits(lifetime.getSoft()));
        assertEquals("4000000000 bytes, 0x2000000 packets, 3600 seconds", limits(lifetime.getHard()));
    }

    @Test
    void lifetimeHardOnly() throws Exception {
        Lifetime lifetime = onlySa("lifetime hard 3600 seconds").getLifetime();
        assertTrue(lifetime.getSoft().isEmpty());
        assertEquals("3600 seconds", limits(lifetime.getHard()));
    }

    @Test
    void lifetimeSoftOnly() throws Exception {
        Lifetime lifetime = onlySa("lifetime soft 100 bytes").getLifetime();
        assertEquals("100 bytes", limits(lifetime.getSoft()));
        assertTrue(lifetime.getHard().isEmpty());
    }

    @Test
    void lifetimeWithoutLimits() throws Exception {
        Lifetime lifetime = onlySa("lifetime").getLifetime();
        assertNotNull(lifetime);
        assertTrue(lifetime.getSoft().isEmpty());
        assertTrue(lifetime.getHard().isEmpty());
    }

    // ------------------------------------------------------------------ Policy

    @Test
    void policyWithEverySelector() throws Exception {
        Model model = parse("""
                sa a_to_b { dir out }
                policy web {
                    dir out
                    src 10.1.0.0/16 dst 10.2.0.0/16
                    proto tcp
                    sport 1024-65535
                    dport 443
                    protect a_to_b
                }
                """);
        Policy policy = (Policy) model.getElements().get(1);
        assertEquals("web", policy.getName());
        assertEquals(Direction.OUT, policy.getDirection());
        assertEquals("10.1.0.0/16", policy.getSource());
        assertEquals("10.2.0.0/16", policy.getDestination());
        assertEquals(Protocol.TCP, policy.getProtocol());
        assertEquals(1024, policy.getSourcePorts().getFrom());
        assertEquals(65535, policy.getSourcePorts().getTo());
        assertEquals(443, policy.getDestinationPorts().getFrom());
        assertEquals(0, policy.getDestinationPorts().getTo());
        assertSame(model.getElements().get(0), ((ProtectAction) policy.getAction()).getSa());
    }

    @Test
    void policyBypass() throws Exception {
        Policy policy = (Policy) parse("policy ike { src any dst any proto udp dport 500 bypass }").getElements().get(0);
        assertEquals("any", policy.getSource());
        assertEquals("any", policy.getDestination());
        assertInstanceOf(BypassAction.class, policy.getAction());
    }

    @Test
    void policyDiscardWithIpv6Prefixes() throws Exception {
        Policy policy = (Policy) parse("policy rest { dir in src ::/0 dst 2001:db8::/32 discard }").getElements().get(0);
        assertEquals(Direction.IN, policy.getDirection());
        assertEquals("::/0", policy.getSource());
        assertEquals("2001:db8::/32", policy.getDestination());
        assertInstanceOf(DiscardAction.class, policy.getAction());
        assertNull(policy.getSourcePorts());
    }

    @ParameterizedTest
    @EnumSource(Protocol.class)
    void policyProtocol(Protocol protocol) throws Exception {
        Policy policy = (Policy) parse("policy p { src any dst any proto " + protocol.getLiteral() + " bypass }")
                .getElements().get(0);
        assertEquals(protocol, policy.getProtocol());
    }

    @Test
    void policyUnresolvedSaIsAnError() throws Exception {
        Model model = parseHelper.parse("policy p { src any dst any protect nowhere }");
        assertEquals(List.of("Couldn't resolve reference to SecurityAssociation 'nowhere'."), errors(model));
    }

    // ------------------------------------------------------------------ Offload, Engine, Buffers

    @Test
    void offloadWithEveryProperty() throws Exception {
        Model model = parse("""
                offload jca { type software }
                offload qat0 {
                    type lookaside
                    tso
                    algorithms aes128gcm16 aes256gcm16 aes128 null chacha20poly1305
                    sa-table 4096
                    fallback jca
                    latency-us 20
                    workers 4
                    ring 512
                }
                """);
        Offload offload = (Offload) model.getElements().get(1);
        assertEquals("qat0", offload.getName());
        assertEquals(OffloadKind.LOOKASIDE, offload.getKind());
        assertTrue(offload.isTso());
        assertEquals(List.of(AeadName.AES128GCM16, AeadName.AES256GCM16, AeadName.CHACHA20POLY1305),
                offload.getAeadAlgorithms());
        assertEquals(List.of(CipherName.AES128, CipherName.NULL), offload.getCipherAlgorithms());
        assertEquals(4096, offload.getSaTableSize());
        assertSame(model.getElements().get(0), offload.getFallback());
        assertEquals(20, offload.getLatencyMicros());
        assertEquals(4, offload.getWorkers());
        assertEquals(512, offload.getRingSize());
    }

    @ParameterizedTest
    @EnumSource(OffloadKind.class)
    void offloadKind(OffloadKind kind) throws Exception {
        Offload offload = (Offload) parse("offload o { type " + kind.getLiteral() + " }").getElements().get(0);
        assertEquals(kind, offload.getKind());
    }

    @Test
    void engineInline() throws Exception {
        Engine engine = (Engine) parse("engine here { inline }").getElements().get(0);
        assertEquals("here", engine.getName());
        assertTrue(engine.isInline());
    }

    @ParameterizedTest
    @EnumSource(Ordering.class)
    void engineWorkerPool(Ordering ordering) throws Exception {
        Engine engine = (Engine) parse("engine crypto { order " + ordering.getLiteral() + " queue 1024 workers 3 }")
                .getElements().get(0);
        assertFalse(engine.isInline());
        assertEquals(3, engine.getWorkers());
        assertEquals(1024, engine.getQueueDepth());
        assertEquals(ordering, engine.getOrdering());
    }

    @Test
    void buffersWithEveryProperty() throws Exception {
        Buffers buffers = (Buffers) parse("""
                buffers wan {
                    headroom 128
                    tailroom 64
                    mtu 1500
                    fragments 17
                    reserve-trailer-slot
                    pool 4096
                }
                """).getElements().get(0);
        assertEquals("wan", buffers.getName());
        assertEquals(128, buffers.getHeadroom());
        assertEquals(64, buffers.getTailroom());
        assertEquals(1500, buffers.getMtu());
        assertEquals(17, buffers.getMaxFragments());
        assertTrue(buffers.isReserveTrailerSlot());
        assertEquals(4096, buffers.getPoolSize());
    }

    // ------------------------------------------------------------------ Pipeline, stages and ports

    @Test
    void txPipelineWithEveryStage() throws Exception {
        Model model = parse("""
                buffers wan { headroom 128 }
                engine crypto { workers 2 }
                offload nic0 { type nic tso }
                pipeline egress tx {
                    buffers wan
                    batch 32
                    from tun "esp0"
                    classify
                    gso mss 1360
                    checksum
                    encrypt engine crypto
                    encrypt offload nic0
                    encrypt
                    tap pcap "out-esp.pcap"
                    to udp 192.0.2.1 port 4500
                }
                """);
        Pipeline pipeline = (Pipeline) model.getElements().get(3);
        assertEquals("egress", pipeline.getName());
        assertEquals(PipelineKind.TX, pipeline.getKind());
        assertSame(model.getElements().get(0), pipeline.getBuffers());
        assertEquals(32, pipeline.getBatchSize());
        assertEquals("esp0", ((TunPort) pipeline.getSource()).getDevice());

        assertInstanceOf(ClassifyStage.class, pipeline.getStages().get(0));
        assertEquals(1360, ((GsoStage) pipeline.getStages().get(1)).getMss());
        assertInstanceOf(ChecksumStage.class, pipeline.getStages().get(2));
        EngineRef engine = (EngineRef) ((EncryptStage) pipeline.getStages().get(3)).getCrypto();
        assertSame(model.getElements().get(1), engine.getEngine());
        OffloadRef offload = (OffloadRef) ((EncryptStage) pipeline.getStages().get(4)).getCrypto();
        assertSame(model.getElements().get(2), offload.getOffload());
        assertNull(((EncryptStage) pipeline.getStages().get(5)).getCrypto());
        assertEquals("out-esp.pcap", ((TapStage) pipeline.getStages().get(6)).getFile());

        UdpPort sink = (UdpPort) pipeline.getSink();
        assertEquals("192.0.2.1", sink.getAddress());
        assertEquals(4500, sink.getPort());
    }

    @Test
    void rxPipelineWithEveryStage() throws Exception {
        Model model = parse("""
                engine crypto { workers 2 }
                offload nic0 { type nic }
                pipeline ingress rx {
                    from udp 2001:db8::1 port 4500
                    decrypt
                    decrypt engine crypto
                    decrypt offload nic0
                    gro max-size 65535 max-segments 64 flush-us 50
                    gro
                    checksum
                    tap pcap "in-clear.pcap"
                    to pcap "in.pcap"
                }
                """);
        Pipeline pipeline = (Pipeline) model.getElements().get(2);
        assertEquals(PipelineKind.RX, pipeline.getKind());
        assertNull(pipeline.getBuffers());
        assertEquals(0, pipeline.getBatchSize());
        assertEquals("2001:db8::1", ((UdpPort) pipeline.getSource()).getAddress());

        assertNull(((DecryptStage) pipeline.getStages().get(0)).getCrypto());
        assertSame(model.getElements().get(0),
                ((EngineRef) ((DecryptStage) pipeline.getStages().get(1)).getCrypto()).getEngine());
        assertSame(model.getElements().get(1),
                ((OffloadRef) ((DecryptStage) pipeline.getStages().get(2)).getCrypto()).getOffload());
        GroStage gro = (GroStage) pipeline.getStages().get(3);
        assertEquals(65535, gro.getMaxSize());
        assertEquals(64, gro.getMaxSegments());
        assertEquals(50, gro.getFlushMicros());
        GroStage bareGro = (GroStage) pipeline.getStages().get(4);
        assertEquals(0, bareGro.getMaxSize());
        assertInstanceOf(ChecksumStage.class, pipeline.getStages().get(5));
        assertEquals("in-clear.pcap", ((TapStage) pipeline.getStages().get(6)).getFile());
        assertEquals("in.pcap", ((PcapPort) pipeline.getSink()).getFile());
    }

    @Test
    void groOptionsInAnyOrder() throws Exception {
        Pipeline pipeline = (Pipeline) parse("pipeline ingress rx { from link wan gro flush-us 10 max-size 32768 to link lan }")
                .getElements().get(0);
        GroStage gro = (GroStage) pipeline.getStages().get(0);
        assertEquals(10, gro.getFlushMicros());
        assertEquals(32768, gro.getMaxSize());
        assertEquals(0, gro.getMaxSegments());
    }

    @Test
    void pipelineWithoutStages() throws Exception {
        Pipeline pipeline = (Pipeline) parse("pipeline copy rx { from pcap \"in.pcap\" to pcap \"out.pcap\" }")
                .getElements().get(0);
        assertEquals("in.pcap", ((PcapPort) pipeline.getSource()).getFile());
        assertTrue(pipeline.getStages().isEmpty());
        assertEquals("out.pcap", ((PcapPort) pipeline.getSink()).getFile());
    }

    @Test
    void linkPortsAreNotNamedElements() throws Exception {
        // Two pipelines on the same in-memory links: a link is a port, not an element that must be unique.
        Model model = parse("""
                pipeline egress tx { from link lan encrypt to link wan }
                pipeline ingress rx { from link wan decrypt to link lan }
                """);
        Pipeline out = (Pipeline) model.getElements().get(0);
        assertEquals("lan", ((LinkPort) out.getSource()).getLink());
        assertEquals("wan", ((LinkPort) out.getSink()).getLink());
    }

    // ------------------------------------------------------------------ malformed input

    @Test
    void malformedAddressIsASyntaxErrorNotAnException() throws Exception {
        Model model = parseHelper.parse("policy p { src 10.1 dst any bypass }");
        assertFalse(model.eResource().getErrors().isEmpty());
    }

    // ------------------------------------------------------------------ helpers

    /**
     * Parses a text that must have no syntax or linking errors and pass Xtext's own checks (unique names, imports).
     * The semantic rules of EsplineValidator (codes {@code espline.*}: an SA fragment here has no spi, no auth) are
     * EsplineValidatorTest's subject.
     */
    private Model parse(String text) throws Exception {
        Model model = parseHelper.parse(text);
        assertNotNull(model);
        List<Issue> errors = validationHelper.validate(model).stream()
                .filter(issue -> issue.getSeverity() == Severity.ERROR)
                .filter(issue -> issue.getCode() == null || !issue.getCode().startsWith("espline."))
                .collect(Collectors.toList());
        assertTrue(errors.isEmpty(), errors::toString);
        return model;
    }

    private SecurityAssociation onlySa(String body) throws Exception {
        return (SecurityAssociation) parse("sa x {\n" + body + "\n}").getElements().get(0);
    }

    private List<String> errors(Model model) {
        return validationHelper.validate(model).stream()
                .filter(issue -> issue.getSeverity() == Severity.ERROR)
                .map(Issue::getMessage)
                .collect(Collectors.toList());
    }

    /**
     * Key bytes as {@code ip xfrm} takes them: the cipher key plus the salt of the AEAD (RFC 4106/4543: 4, RFC 4309: 3,
     * RFC 7634: 4), or the HMAC key as long as the hash.
     */
    private static int keyBytes(String algorithm) {
        if (algorithm.startsWith("chacha20")) {
            return 32 + 4;
        }
        switch (algorithm) {
            case "sha1": return 20;
            case "sha256": return 32;
            case "sha384": return 48;
            case "sha512": return 64;
            default: break;
        }
        int aesKey = Integer.parseInt(algorithm.substring(3, 6)) / 8;
        if (algorithm.contains("ccm")) {
            return aesKey + 3;
        }
        return algorithm.contains("gcm") || algorithm.contains("gmac") ? aesKey + 4 : aesKey;
    }

    private static String hexKey(int bytes) {
        StringBuilder hex = new StringBuilder("0x");
        for (int i = 0; i < bytes; i++) {
            hex.append(String.format("%02x", i));
        }
        return hex.toString();
    }

    private static String limits(List<Limit> limits) {
        return limits.stream().map(limit -> limit.getValue() + " " + limit.getUnit().getLiteral()).collect(Collectors.joining(", "));
    }

}
