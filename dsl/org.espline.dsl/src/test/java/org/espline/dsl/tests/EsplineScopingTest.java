package org.espline.dsl.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.inject.Inject;
import com.google.inject.Provider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.eclipse.emf.common.util.URI;
import org.eclipse.emf.ecore.EObject;
import org.eclipse.emf.ecore.EReference;
import org.eclipse.emf.ecore.resource.Resource;
import org.eclipse.emf.ecore.util.EcoreUtil;
import org.eclipse.xtext.naming.QualifiedName;
import org.eclipse.xtext.resource.XtextResourceSet;
import org.eclipse.xtext.scoping.IScope;
import org.eclipse.xtext.scoping.IScopeProvider;
import org.eclipse.xtext.testing.InjectWith;
import org.eclipse.xtext.testing.extensions.InjectionExtension;
import org.espline.dsl.espline.DecryptStage;
import org.espline.dsl.espline.Element;
import org.espline.dsl.espline.EngineRef;
import org.espline.dsl.espline.EncryptStage;
import org.espline.dsl.espline.EsplinePackage;
import org.espline.dsl.espline.Model;
import org.espline.dsl.espline.Offload;
import org.espline.dsl.espline.Pipeline;
import org.espline.dsl.espline.Policy;
import org.espline.dsl.espline.SecurityAssociation;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * What each cross-reference sees, asked of {@link IScopeProvider} on models loaded from files: the elements of the
 * reference's type in its own file and in the files it imports, never those of a file it does not import, even when
 * that file is loaded in the same resource set. Visible names are compared as one sorted, comma-joined string.
 */
@ExtendWith(InjectionExtension.class)
@InjectWith(EsplineInjectorProvider.class)
class EsplineScopingTest {

    /** Imported by gw.espl: one element of every referable type, plus a second SA. */
    private static final String SHARED = """
            package shared
            sa shared_out { spi 0x1001 }
            sa shared_in { spi 0x1002 }
            offload shared_nic { type nic }
            engine shared_crypto { workers 2 }
            buffers shared_wan { mtu 1500 }
            """;

    /** Loaded into the same resource set, but imported by nobody. */
    private static final String OTHER = """
            package other
            sa other_sa { spi 0x2001 }
            offload other_offload { type software }
            engine other_engine { inline }
            buffers other_buffers { mtu 9000 }
            """;

    private static final String GW = """
            package gw
            import "shared.espl"
            offload local_sw { type software }
            offload local_nic { type nic fallback local_sw }
            sa local_sa { spi 0x3001 offload local_nic }
            engine local_engine { inline }
            buffers local_buffers { mtu 1500 }
            policy p { src any dst any protect local_sa }
            pipeline egress tx {
                buffers local_buffers
                from link lan
                encrypt engine local_engine
                encrypt offload local_nic
                to link wan
            }
            pipeline ingress rx {
                from link wan
                decrypt engine shared_crypto
                decrypt offload shared_nic
                to link lan
            }
            """;

    @Inject
    private IScopeProvider scopeProvider;

    @Inject
    private Provider<XtextResourceSet> resourceSets;

    @TempDir
    Path folder;

    private Model gw;

    @BeforeEach
    void loadModels() throws IOException {
        XtextResourceSet resourceSet = resourceSets.get();
        write("shared.espl", SHARED);
        write("other.espl", OTHER);
        write("gw.espl", GW);
        load(resourceSet, "other.espl");
        gw = load(resourceSet, "gw.espl");
    }

    // ------------------------------------------------------------------ each cross-reference

    @Test
    void protectSeesTheSasOfItsFileAndOfTheImportedFile() {
        Policy policy = element(gw, Policy.class, "p");
        assertEquals("local_sa, shared_in, shared_out",
                visible(policy.getAction(), EsplinePackage.Literals.PROTECT_ACTION__SA));
    }

    @Test
    void saOffloadSeesOffloads() {
        SecurityAssociation sa = element(gw, SecurityAssociation.class, "local_sa");
        assertEquals("local_nic, local_sw, shared_nic",
                visible(sa, EsplinePackage.Literals.SECURITY_ASSOCIATION__OFFLOAD));
    }

    @Test
    void offloadFallbackSeesOffloadsIncludingItself() {
        // Scoping offers the offload itself; a fallback to itself is the validator's business, not the scope's.
        Offload nic = element(gw, Offload.class, "local_nic");
        assertEquals("local_nic, local_sw, shared_nic", visible(nic, EsplinePackage.Literals.OFFLOAD__FALLBACK));
    }

    @Test
    void pipelineBuffersSeesBuffers() {
        Pipeline egress = element(gw, Pipeline.class, "egress");
        assertEquals("local_buffers, shared_wan", visible(egress, EsplinePackage.Literals.PIPELINE__BUFFERS));
    }

    @Test
    void encryptAndDecryptEngineSeeEngines() {
        EncryptStage encrypt = (EncryptStage) element(gw, Pipeline.class, "egress").getStages().get(0);
        DecryptStage decrypt = (DecryptStage) element(gw, Pipeline.class, "ingress").getStages().get(0);
        assertEquals("local_engine, shared_crypto", visible(encrypt.getCrypto(), EsplinePackage.Literals.ENGINE_REF__ENGINE));
        assertEquals("local_engine, shared_crypto", visible(decrypt.getCrypto(), EsplinePackage.Literals.ENGINE_REF__ENGINE));
    }

    @Test
    void encryptAndDecryptOffloadSeeOffloads() {
        EncryptStage encrypt = (EncryptStage) element(gw, Pipeline.class, "egress").getStages().get(1);
        DecryptStage decrypt = (DecryptStage) element(gw, Pipeline.class, "ingress").getStages().get(1);
        assertEquals("local_nic, local_sw, shared_nic",
                visible(encrypt.getCrypto(), EsplinePackage.Literals.OFFLOAD_REF__OFFLOAD));
        assertEquals("local_nic, local_sw, shared_nic",
                visible(decrypt.getCrypto(), EsplinePackage.Literals.OFFLOAD_REF__OFFLOAD));
    }

    @Test
    void theReferencesResolveToTheElementsTheScopeOffers() {
        EcoreUtil.resolveAll(gw.eResource());
        assertTrue(gw.eResource().getErrors().isEmpty(), () -> gw.eResource().getErrors().toString());
        Pipeline ingress = element(gw, Pipeline.class, "ingress");
        EObject engine = ((EngineRef) ((DecryptStage) ingress.getStages().get(0)).getCrypto()).getEngine();
        assertEquals("shared.espl", engine.eResource().getURI().lastSegment());
    }

    // ------------------------------------------------------------------ imports

    @Test
    void aFileLoadedButNotImportedIsNotVisible() {
        // other.espl is in the resource set, yet contributes to no scope of gw.espl.
        Model other = (Model) gw.eResource().getResourceSet()
                .getResource(URI.createFileURI(folder.resolve("other.espl").toString()), false).getContents().get(0);
        assertEquals("other_sa", element(other, SecurityAssociation.class, "other_sa").getName());
        Policy policy = element(gw, Policy.class, "p");
        assertFalse(visible(policy.getAction(), EsplinePackage.Literals.PROTECT_ACTION__SA).contains("other_sa"));
    }

    @Test
    void importOfAMissingFileContributesNothing() throws IOException {
        write("lonely.espl", """
                import "missing.espl"
                sa mine { spi 0x4001 }
                policy p { src any dst any protect mine }
                """);
        // ImportUriGlobalScopeProvider drops an import URI that EcoreUtil2.isValidUri rejects (no such file), so the
        // scope holds the file's own SAs and linking throws nothing; the import itself is EsplineImportUriValidator's
        // error (see EsplineParsingTest.importOfAMissingFileIsAnError). Only syntax errors are checked on loading.
        Model lonely = load(resourceSets.get(), "lonely.espl");
        Policy policy = element(lonely, Policy.class, "p");
        assertEquals("mine", visible(policy.getAction(), EsplinePackage.Literals.PROTECT_ACTION__SA));
    }

    @Test
    void anImportedFileThatImportsAnotherIsNotFollowed() throws IOException {
        // a imports b, b imports c: ImportUriGlobalScopeProvider collects the import URIs of the resource being
        // linked only (getImportedUris walks that resource's own contents), so c's elements are visible in b but not
        // in a. A model that uses c's elements imports c itself.
        write("c.espl", "sa in_c { spi 0x5003 }");
        write("b.espl", "import \"c.espl\"\nsa in_b { spi 0x5002 }\npolicy q { src any dst any protect in_c }");
        write("a.espl", "import \"b.espl\"\nsa in_a { spi 0x5001 }\npolicy p { src any dst any protect in_a }");
        XtextResourceSet resourceSet = resourceSets.get();
        Model a = load(resourceSet, "a.espl");
        Model b = load(resourceSet, "b.espl");

        assertEquals("in_a, in_b", visible(element(a, Policy.class, "p").getAction(),
                EsplinePackage.Literals.PROTECT_ACTION__SA));
        assertEquals("in_b, in_c", visible(element(b, Policy.class, "q").getAction(),
                EsplinePackage.Literals.PROTECT_ACTION__SA));
    }

    @Test
    void aLocalElementShadowsAnImportedOneOfTheSameName() throws IOException {
        write("lib.espl", "sa twin { spi 0x6001 }\nsa only_lib { spi 0x6002 }");
        write("user.espl", "import \"lib.espl\"\nsa twin { spi 0x6003 }\npolicy p { src any dst any protect twin }");
        Model user = load(resourceSets.get(), "user.espl");
        Policy policy = element(user, Policy.class, "p");
        IScope scope = scopeProvider.getScope(policy.getAction(), EsplinePackage.Literals.PROTECT_ACTION__SA);
        assertSame(element(user, SecurityAssociation.class, "twin"),
                scope.getSingleElement(QualifiedName.create("twin")).getEObjectOrProxy());
        assertEquals("only_lib, twin", visible(policy.getAction(), EsplinePackage.Literals.PROTECT_ACTION__SA));
    }

    // ------------------------------------------------------------------ helpers

    /** The names a reference of {@code context} sees, sorted and joined by ", " (a shadowed name would show twice). */
    private String visible(EObject context, EReference reference) {
        IScope scope = scopeProvider.getScope(context, reference);
        return StreamSupport.stream(scope.getAllElements().spliterator(), false)
                .map(description -> description.getName().toString())
                .sorted()
                .collect(Collectors.joining(", "));
    }

    private void write(String name, String text) throws IOException {
        Files.writeString(folder.resolve(name), text);
    }

    private Model load(XtextResourceSet resourceSet, String name) {
        Resource resource = resourceSet.getResource(URI.createFileURI(folder.resolve(name).toString()), true);
        assertTrue(resource.getErrors().isEmpty(), () -> name + ": " + resource.getErrors());
        return (Model) resource.getContents().get(0);
    }

    private static <T extends Element> T element(Model model, Class<T> type, String name) {
        return model.getElements().stream()
                .filter(type::isInstance)
                .map(type::cast)
                .filter(element -> name.equals(element.getName()))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " '" + name + "'"));
    }
}
