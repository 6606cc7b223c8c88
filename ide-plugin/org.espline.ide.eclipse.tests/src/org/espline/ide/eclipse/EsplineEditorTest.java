package org.espline.ide.eclipse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.eclipse.core.resources.IFile;
import org.eclipse.core.resources.IFolder;
import org.eclipse.core.resources.IMarker;
import org.eclipse.core.resources.IProject;
import org.eclipse.core.resources.IResource;
import org.eclipse.core.resources.ResourcesPlugin;
import org.eclipse.core.runtime.CoreException;
import org.eclipse.core.runtime.FileLocator;
import org.eclipse.core.runtime.NullProgressMonitor;
import org.eclipse.core.runtime.Platform;
import org.eclipse.core.runtime.jobs.Job;
import org.eclipse.jface.text.IDocument;
import org.eclipse.jface.text.Region;
import org.eclipse.jface.text.contentassist.ICompletionProposal;
import org.eclipse.jface.text.rules.IToken;
import org.eclipse.jface.text.source.ISourceViewer;
import org.eclipse.jface.text.source.ISourceViewerExtension3;
import org.eclipse.jface.text.quickassist.IQuickAssistAssistant;
import org.eclipse.jface.text.source.TextInvocationContext;
import org.eclipse.jface.text.ITextOperationTarget;
import org.eclipse.jface.viewers.StructuredSelection;
import org.eclipse.jface.wizard.WizardDialog;
import org.eclipse.swt.graphics.GC;
import org.eclipse.swt.graphics.Image;
import org.eclipse.swt.graphics.ImageLoader;
import org.eclipse.swt.SWT;
import org.eclipse.swt.widgets.Display;
import org.eclipse.swt.widgets.Shell;
import org.eclipse.ui.IEditorPart;
import org.eclipse.ui.IMarkerResolution;
import org.eclipse.ui.IPageLayout;
import org.eclipse.ui.IWorkbenchPage;
import org.eclipse.ui.PlatformUI;
import org.eclipse.ui.handlers.IHandlerService;
import org.eclipse.ui.ide.IDE;
import org.eclipse.ui.texteditor.ITextEditor;
import org.eclipse.ui.views.contentoutline.ContentOutline;
import org.eclipse.jface.text.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The plugin in a running workbench (tycho-surefire's UI harness, on the UI thread): editor, markers, content assist,
 * hover, outline, quick fix, formatting, generate (and on save), exports and the new-model wizard, each as a user
 * reaches it, against the language's own validator, formatter and generator.
 */
class EsplineEditorTest {

    /** SPI 0xff is reserved (RFC 4303): the validator's error on line 2, with a quick fix to 0x100. */
    static final String RESERVED_SPI = """
            sa a_to_b {
            	spi 0xff
            	mode tunnel src 192.0.2.1 dst 198.51.100.1
            	aead aes128gcm16 key env K
            }
            """;

    private static final long TIMEOUT_MILLIS = 30_000;

    private IProject project;
    private IWorkbenchPage page;

    @BeforeEach
    void createProject() throws CoreException {
        project = ResourcesPlugin.getWorkspace().getRoot().getProject("espline-test");
        if (project.exists()) {
            project.delete(true, true, null);
        }
        project.create(null);
        project.open(null);
        page = PlatformUI.getWorkbench().getActiveWorkbenchWindow().getActivePage();
    }

    @AfterEach
    void deleteProject() throws CoreException {
        page.closeAllEditors(false);
        Job.getJobManager().cancel(GenerateOnSave.JOB_FAMILY);
        waitForGeneration();
        project.delete(true, true, null);
    }

    @Test
    void invalidModelShowsTheValidatorsMarkerOnItsLineAndTypingClearsIt() throws Exception {
        IFile file = file("bad.espl", RESERVED_SPI);
        ITextEditor editor = open(file);
        assertEquals("org.eclipse.ui.genericeditor.GenericEditor", editor.getSite().getId());

        waitUntil("an error marker", () -> errors(file).length > 0);
        IMarker marker = errors(file)[0];
        assertEquals(2, marker.getAttribute(IMarker.LINE_NUMBER, -1));
        assertEquals("spi 0xff is reserved (RFC 4303: 0 to 255): expected 0x100 or above", marker.getAttribute(IMarker.MESSAGE, ""));

        IDocument document = document(editor);
        document.replace(document.get().indexOf("0xff"), 4, "0x1001");
        waitUntil("the marker gone after the edit (unsaved)", () -> errors(file).length == 0);
        assertTrue(editor.isDirty());
    }

    @Test
    void contentAssistAtAnAlgorithmListsTheAlgorithmNames() throws Exception {
        IFile file = file("assist.espl", "sa a_to_b {\n\tspi 0x1001\n\taead \n}\n");
        ITextEditor editor = open(file);
        IDocument document = document(editor);
        int offset = document.get().indexOf("aead ") + "aead ".length();
        List<String> names = EsplineContentAssistProcessor.proposals(document, offset).stream()
                .map(ICompletionProposal::getDisplayString).toList();
        assertTrue(names.containsAll(List.of("aes128gcm16", "aes256gcm16", "chacha20poly1305")), names.toString());
        assertFalse(names.contains("sha256"), names.toString()); // an integrity name is no AEAD

        ICompletionProposal chacha = EsplineContentAssistProcessor.proposals(document, offset).stream()
                .filter(p -> p.getDisplayString().equals("chacha20poly1305")).findFirst().orElseThrow();
        chacha.apply(document);
        assertTrue(document.get().contains("\taead chacha20poly1305\n"), document.get());
    }

    /**
     * The generator's model loader registers its own standalone injector with EMF when first used (by a generation or
     * an export, at any time): content assist must keep finding proposals after that.
     */
    @Test
    void contentAssistAfterAnotherInjectorRegisteredTheLanguage() throws Exception {
        IFile file = file("registered.espl", "sa a_to_b {\n\tspi 0x1001\n\taead \n}\n");
        IDocument document = document(open(file));
        int offset = document.get().indexOf("aead ") + "aead ".length();
        assertTrue(EsplineContentAssistProcessor.proposals(document, offset).size() > 3);
        new org.espline.dsl.EsplineStandaloneSetup().createInjectorAndDoEMFRegistration();
        List<String> names = EsplineContentAssistProcessor.proposals(document, offset).stream()
                .map(ICompletionProposal::getDisplayString).toList();
        assertTrue(names.contains("aes128gcm16"), names.toString());
    }

    /** The reconciler validates in the background while the user asks for proposals: every request still gets them. */
    @Test
    void contentAssistWhileValidatingInTheBackground() throws Exception {
        String model = NewModelWizard.starterModel("busy.espl").replace("aead aes256gcm16 key env:OUT_SA_KEY", "aead ");
        IFile file = file("busy.espl", model);
        ITextEditor editor = open(file);
        IDocument document = document(editor);
        int offset = model.indexOf("aead \n") + "aead ".length();
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicInteger validations = new java.util.concurrent.atomic.AtomicInteger();
        Thread validator = new Thread(() -> {
            while (!stop.get()) {
                EsplineLanguage.get().parse(ModelFiles.uriOf(file), model).issues();
                validations.incrementAndGet();
            }
        }, "espline-test-validator");
        validator.start();
        try {
            for (int i = 0; i < 20; i++) {
                List<String> names = EsplineContentAssistProcessor.proposals(document, offset).stream()
                        .map(ICompletionProposal::getDisplayString).toList();
                assertTrue(names.contains("aes256gcm16"), "request " + i + ": " + names);
            }
        } finally {
            stop.set(true);
            validator.join();
        }
        assertTrue(validations.get() > 0);
    }

    @Test
    void hoverOnAnSaNameSummarisesItWithoutTheKey() throws Exception {
        String model = "sa a_to_b { spi 0x1001 mode tunnel src 192.0.2.1 dst 198.51.100.1 aead aes128gcm16 key 0x00112233445566778899aabbccddeeff01020304 }\n"
                + "policy p { dir out src 10.0.0.0/24 dst 10.0.1.0/24 protect a_to_b }\n";
        ITextEditor editor = open(file("hover.espl", model));
        ISourceViewer viewer = (ISourceViewer) editor.getAdapter(ITextOperationTarget.class);
        int offset = model.lastIndexOf("a_to_b") + 2;
        EsplineTextHover hover = new EsplineTextHover();
        String text = hover.getHoverInfo(viewer, hover.getHoverRegion(viewer, offset));
        assertNotNull(text);
        assertTrue(text.contains("0x1001") || text.contains("4097"), text);
        assertTrue(text.contains("tunnel"), text);
        assertTrue(text.contains("aes128gcm16") || text.toLowerCase().contains("gcm"), text);
        assertFalse(text.contains("00112233"), "the key leaked into the hover: " + text);
        assertEquals(new Region(model.lastIndexOf("a_to_b"), 6), hover.getHoverRegion(viewer, offset));
    }

    @Test
    void outlineListsTheModelsElements() throws Exception {
        ITextEditor editor = open(file("outline.espl", new String(NewModelWizard.starterModel("outline.espl"))));
        ContentOutline outline = (ContentOutline) page.showView(IPageLayout.ID_OUTLINE);
        page.activate(editor);
        waitUntil("the outline page", () -> outline.getCurrentPage() instanceof EsplineOutlinePage);
        List<String> names = ((EsplineOutlinePage) outline.getCurrentPage()).names();
        assertEquals(List.of("out_sa", "in_sa", "protect_out", "protect_in", "on_cpu", "host", "egress", "ingress"), names);
    }

    @Test
    void quickFixChangesTheFileAsProposed() throws Exception {
        IFile file = file("fix.espl", RESERVED_SPI);
        ProblemMarkers.replace(file, EsplineLanguage.get().parse(ModelFiles.uriOf(file), RESERVED_SPI).issues());
        IMarker marker = errors(file)[0];
        IMarkerResolution[] fixes = IDE.getMarkerHelpRegistry().getResolutions(marker);
        List<String> labels = Arrays.stream(fixes).map(IMarkerResolution::getLabel).toList();
        assertEquals(List.of("Change spi of SA 'a_to_b' from 0xff to 0x100, the first SPI not reserved"), labels);
        fixes[0].run(marker);
        assertEquals(RESERVED_SPI.replace("0xff", "0x100"), ModelFiles.text(file));
    }

    @Test
    void quickFixInTheEditorWithCtrl1() throws Exception {
        IFile file = file("fix-in-editor.espl", RESERVED_SPI);
        ITextEditor editor = open(file);
        waitUntil("an error marker", () -> errors(file).length > 0);
        ISourceViewer viewer = (ISourceViewer) editor.getAdapter(ITextOperationTarget.class);
        IQuickAssistAssistant assistant = ((ISourceViewerExtension3) viewer).getQuickAssistAssistant();
        ICompletionProposal[] proposals = assistant.getQuickAssistProcessor()
                .computeQuickAssistProposals(new TextInvocationContext(viewer, RESERVED_SPI.indexOf("0xff") + 1, 0));
        List<String> labels = Arrays.stream(proposals).map(ICompletionProposal::getDisplayString).toList();
        assertTrue(labels.contains("Change spi of SA 'a_to_b' from 0xff to 0x100, the first SPI not reserved"), labels.toString());
    }

    @Test
    void formatReindentsTheModel() throws Exception {
        ITextEditor editor = open(file("format.espl", "sa a {   spi 0x1001\nmode transport }\n"));
        IDocument document = document(editor);
        FormatHandler.format(document);
        String formatted = document.get();
        assertTrue(formatted.contains("\tspi 0x1001\n\tmode transport\n}"), formatted);
        FormatHandler.format(document);
        assertEquals(formatted, document.get(), "formatting twice changes nothing more");
    }

    @Test
    void syntaxColouringDimsKeys() {
        Document document = new Document("aead aes128gcm16 key 0x0011 // c\nauth sha256 key env:K");
        EsplineTokenScanner scanner = new EsplineTokenScanner();
        scanner.setRange(document, 0, document.getLength());
        List<String> tokens = new ArrayList<>();
        for (IToken t = scanner.nextToken(); !t.isEOF(); t = scanner.nextToken()) {
            if (!t.isWhitespace()) {
                tokens.add(document.get().substring(scanner.getTokenOffset(), scanner.getTokenOffset() + scanner.getTokenLength())
                        + "=" + kind(t));
            }
        }
        assertEquals(List.of("aead=keyword", "aes128gcm16=keyword", "key=keyword", "0x0011=key", "// c=comment",
                "auth=keyword", "sha256=keyword", "key=keyword", "env=key", ":=key", "K=key"), tokens);
    }

    @Test
    void generateCommandWritesJavaThatCompiles() throws Exception {
        ProjectSettings.of(project).set("gen-java", false);
        IFile file = file("gateway.espl", NewModelWizard.starterModel("gateway.espl"));
        open(file);
        PlatformUI.getWorkbench().getService(IHandlerService.class).executeCommand("org.espline.ide.eclipse.generate", null);
        IFolder out = project.getFolder("gen-java/gateway");
        List<String> java = javaFiles(out);
        assertEquals(List.of("EgressPipeline.java", "GatewayMain.java", "GatewayPolicies.java", "GatewaySecurityAssociations.java",
                "IngressPipeline.java"), java);
        assertTrue(out.getFile("EgressPipeline.java").exists(), "the folder is refreshed in the workspace");
        compile(out);
    }

    @Test
    void savingAModelGeneratesItWhenSwitchedOn() throws Exception {
        IFile file = file("onsave.espl", NewModelWizard.starterModel("onsave.espl"));
        waitForGeneration(); // the file's creation counts as a save: the default is on
        IFolder out = project.getFolder(ProjectSettings.DEFAULT_SOURCE_FOLDER + "/onsave");
        assertEquals(5, javaFiles(out).size());

        ProjectSettings.of(project).set("src-gen", false);
        out.delete(true, null);
        file.setContents(new ByteArrayInputStream((ModelFiles.text(file) + "\n").getBytes(StandardCharsets.UTF_8)), true, true, null);
        waitForGeneration();
        assertFalse(out.exists(), "switched off: saving generates nothing");
    }

    @Test
    void exportsWriteIpXfrmAndWiresharkFilesNextToTheModel() throws Exception {
        String model = "sa a_to_b { spi 0x1001 dir out mode tunnel src 192.0.2.1 dst 198.51.100.1 "
                + "aead aes128gcm16 key 0x00112233445566778899aabbccddeeff01020304 }\n";
        IFile file = file("export.espl", model);
        ModelExport.Result xfrm = ModelExport.export(file, ModelExport.Format.XFRM, new NullProgressMonitor());
        assertEquals(project.getFile("export.xfrm.sh"), xfrm.file());
        String commands = ModelFiles.text(xfrm.file());
        assertTrue(commands.contains("ip xfrm state add src 192.0.2.1 dst 198.51.100.1 proto esp spi 0x00001001"), commands);
        ModelExport.Result wireshark = ModelExport.export(file, ModelExport.Format.WIRESHARK, new NullProgressMonitor());
        assertEquals(project.getFile("export.esp_sa"), wireshark.file());
        assertTrue(ModelFiles.text(wireshark.file()).contains("\"0x00001001\""), ModelFiles.text(wireshark.file()));
    }

    @Test
    void wizardCreatesAModelThatValidatesClean() throws Exception {
        NewModelWizard wizard = new NewModelWizard();
        wizard.init(PlatformUI.getWorkbench(), new StructuredSelection(project));
        WizardDialog dialog = new WizardDialog(PlatformUI.getWorkbench().getActiveWorkbenchWindow().getShell(), wizard);
        dialog.setBlockOnOpen(false);
        dialog.open();
        try {
            wizard.page().setFileName("branch-office.espl");
            assertTrue(wizard.canFinish());
            assertTrue(wizard.performFinish());
        } finally {
            dialog.close();
        }
        IFile created = wizard.created();
        assertEquals(project.getFile("branch-office.espl"), created);
        String text = ModelFiles.text(created);
        assertTrue(text.contains("package branch_office\n"), text);
        assertEquals(List.of(), EsplineLanguage.get().parse(ModelFiles.uriOf(created), text).issues().stream()
                .map(Object::toString).toList());
        waitUntil("the wizard's model open in the editor", () -> page.getActiveEditor() != null);
        process(2 * EsplineReconciler.DELAY_MILLIS);
        assertEquals(0, created.findMarkers(ProblemMarkers.TYPE, true, IResource.DEPTH_ZERO).length);
    }

    /** The README's picture: a marker, the outline and a content-assist popup in one window. */
    @Test
    void screenshotOfTheEditor() throws Exception {
        String dir = System.getProperty("espline.screenshots");
        String model = NewModelWizard.starterModel("screenshot.espl").replace("spi 0x00001002", "spi 0xff")
                .replace("\taead aes256gcm16 key env:OUT_SA_KEY", "\taead ");
        IFile file = file("screenshot.espl", model);
        Shell shell = PlatformUI.getWorkbench().getActiveWorkbenchWindow().getShell();
        shell.setBounds(0, 0, 1200, 800);
        ITextEditor editor = open(file);
        page.showView(IPageLayout.ID_OUTLINE);
        page.showView(IPageLayout.ID_PROBLEM_VIEW);
        page.activate(editor);
        editor.setFocus();
        waitUntil("the markers", () -> errors(file).length > 0);
        IDocument document = document(editor);
        editor.selectAndReveal(document.get().indexOf("\taead \n") + "\taead ".length(), 0);
        ((ITextOperationTarget) editor.getAdapter(ITextOperationTarget.class)).doOperation(ISourceViewer.CONTENTASSIST_PROPOSALS);
        Display display = shell.getDisplay();
        waitUntil("the content-assist popup", () -> Arrays.stream(display.getShells()).anyMatch(s -> s != shell && s.isVisible()));
        process(1000);
        if (dir != null) {
            org.eclipse.swt.graphics.Rectangle area = shell.getBounds();
            Image image = new Image(display, area.width, area.height);
            GC gc = new GC(display);
            gc.copyArea(image, area.x, area.y);
            gc.dispose();
            Files.createDirectories(Path.of(dir));
            ImageLoader loader = new ImageLoader();
            loader.data = new org.eclipse.swt.graphics.ImageData[] { image.getImageData() };
            loader.save(Path.of(dir, "editor.png").toString(), SWT.IMAGE_PNG);
            image.dispose();
            assertTrue(Files.size(Path.of(dir, "editor.png")) > 10_000);
        }
    }

    // --- helpers

    private IFile file(String name, String text) throws CoreException {
        IFile file = project.getFile(name);
        file.create(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), true, null);
        return file;
    }

    private ITextEditor open(IFile file) throws CoreException {
        IEditorPart part = IDE.openEditor(page, file);
        process(100);
        return (ITextEditor) part;
    }

    private static IDocument document(ITextEditor editor) {
        return editor.getDocumentProvider().getDocument(editor.getEditorInput());
    }

    private static IMarker[] errors(IFile file) {
        try {
            return Arrays.stream(file.findMarkers(ProblemMarkers.TYPE, true, IResource.DEPTH_ZERO))
                    .filter(m -> m.getAttribute(IMarker.SEVERITY, -1) == IMarker.SEVERITY_ERROR).toArray(IMarker[]::new);
        } catch (CoreException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String kind(IToken t) {
        if (t == EsplineTokenScanner.KEYWORD) {
            return "keyword";
        }
        if (t == EsplineTokenScanner.KEY) {
            return "key";
        }
        if (t == EsplineTokenScanner.COMMENT) {
            return "comment";
        }
        if (t == EsplineTokenScanner.NAME) {
            return "name";
        }
        if (t == EsplineTokenScanner.NUMBER) {
            return "number";
        }
        return "other";
    }

    private static List<String> javaFiles(IFolder folder) throws IOException {
        Path dir = folder.getLocation().toFile().toPath();
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (var files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".java")).sorted().toList();
        }
    }

    /** javac on the generated sources against the runtime jar the plugin embeds. */
    private static void compile(IFolder sources) throws IOException {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertNotNull(javac, "the test runs on a JDK");
        File runtime = new File(FileLocator.toFileURL(FileLocator.find(Platform.getBundle(EsplinePlugin.ID),
                new org.eclipse.core.runtime.Path("lib/espline-runtime.jar"))).getPath());
        Path classes = Files.createTempDirectory("espline-generated-classes");
        List<String> args = new ArrayList<>(List.of("--release", "17", "-proc:none", "-cp", runtime.getPath(), "-d", classes.toString()));
        try (var files = Files.list(sources.getLocation().toFile().toPath())) {
            args.addAll(files.map(Path::toString).collect(Collectors.toList()));
        }
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        int status = javac.run(null, null, err, args.toArray(String[]::new));
        assertEquals(0, status, err.toString(StandardCharsets.UTF_8));
    }

    private static void waitForGeneration() {
        try {
            Job.getJobManager().join(GenerateOnSave.JOB_FAMILY, null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process(50);
    }

    private static void waitUntil(String what, BooleanSupplier condition) {
        long deadline = System.currentTimeMillis() + TIMEOUT_MILLIS;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            process(50);
        }
    }

    /** Runs the UI event loop for {@code millis} (the reconciler's and outline's results arrive through it). */
    private static void process(long millis) {
        Display display = Display.getCurrent();
        long end = System.currentTimeMillis() + millis;
        while (System.currentTimeMillis() < end) {
            if (!display.readAndDispatch()) {
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }
}
