package org.espline.maven;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;

import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.project.MavenProject;
import org.espline.generator.Generation.ModelResult;
import org.espline.generator.Generation.Outcome;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The generate goal on the site-to-site example models, copied into a temporary project. */
class GenerateMojoTest {
    private static final Path MODELS = Path.of(System.getProperty("espline.repo.root", "../.."), "examples/models");
    private static final FileTime OLD = FileTime.fromMillis(1_000_000_000L);

    @TempDir
    Path project;
    private Path src;
    private Path out;

    @BeforeEach
    void copyModels() throws IOException {
        src = Files.createDirectories(project.resolve("src/main/espline"));
        out = project.resolve("target/generated-sources/espline");
        for (String m : List.of("site-to-site.espl", "site-to-site-gw-a.espl", "site-to-site-gw-b.espl")) {
            Files.copy(MODELS.resolve(m), src.resolve(m));
        }
    }

    private GenerateMojo mojo() {
        GenerateMojo mojo = new GenerateMojo();
        mojo.sourceDirectory = src.toFile();
        mojo.outputDirectory = out.toFile();
        mojo.stampDirectory = project.resolve("target/espline-stamps").toFile();
        mojo.project = new MavenProject();
        return mojo;
    }

    private static Outcome outcome(GenerateMojo mojo, String model) {
        return mojo.results.stream().filter(r -> r.model().getFileName().toString().equals(model)).map(ModelResult::outcome)
                .findFirst().orElseThrow(() -> new AssertionError(model + " not in " + mojo.results));
    }

    @Test
    void generatesEveryModelAndAddsTheSourceRoot() throws Exception {
        GenerateMojo mojo = mojo();
        mojo.execute();
        assertTrue(Files.isRegularFile(out.resolve("site_to_site/gw_a/GwASecurityAssociations.java")));
        assertTrue(Files.isRegularFile(out.resolve("site_to_site/gw_b/GwBPolicies.java")));
        assertTrue(Files.isRegularFile(out.resolve("site_to_site/SiteToSiteSecurityAssociations.java")));
        assertEquals(Outcome.WRITTEN, outcome(mojo, "site-to-site-gw-a.espl"));
        assertEquals(List.of(out.toString()), mojo.project.getCompileSourceRoots());
    }

    @Test
    void includesPickModels() throws Exception {
        GenerateMojo mojo = mojo();
        mojo.includes = List.of("site-to-site-gw-*.espl");
        mojo.execute();
        assertEquals(2, mojo.results.size(), mojo.results.toString());
        assertFalse(Files.exists(out.resolve("site_to_site/SiteToSiteSecurityAssociations.java")));
        assertTrue(Files.isRegularFile(out.resolve("site_to_site/gw_b/GwBSecurityAssociations.java")));
    }

    @Test
    void aSecondRunSkipsUnchangedModelsAndRewritesNothing() throws Exception {
        mojo().execute();
        Path sas = out.resolve("site_to_site/gw_a/GwASecurityAssociations.java");
        Files.setLastModifiedTime(sas, OLD);

        GenerateMojo again = mojo();
        again.execute();
        assertTrue(again.results.stream().allMatch(r -> r.outcome() == Outcome.UP_TO_DATE), again.results.toString());
        assertEquals(OLD, Files.getLastModifiedTime(sas));

        // A change in the imported file makes its importers load again; a comment changes no output.
        Files.writeString(src.resolve("site-to-site.espl"), "// touched\n", StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND);
        GenerateMojo third = mojo();
        third.execute();
        assertEquals(Outcome.UNCHANGED, outcome(third, "site-to-site-gw-a.espl"));
        assertEquals(OLD, Files.getLastModifiedTime(sas));

        // A real change rewrites only what changes.
        Path gwA = src.resolve("site-to-site-gw-a.espl");
        Files.writeString(gwA, Files.readString(gwA).replace("batch 32", "batch 64"));
        GenerateMojo fourth = mojo();
        fourth.execute();
        assertEquals(Outcome.WRITTEN, outcome(fourth, "site-to-site-gw-a.espl"));
        assertEquals(Outcome.UP_TO_DATE, outcome(fourth, "site-to-site-gw-b.espl"));
        assertTrue(Files.readString(out.resolve("site_to_site/gw_a/EgressPipeline.java")).contains("BATCH_SIZE = 64"));
    }

    @Test
    void aDeletedOutputIsGeneratedAgain() throws Exception {
        mojo().execute();
        Path policies = out.resolve("site_to_site/gw_b/GwBPolicies.java");
        Files.delete(policies);
        GenerateMojo again = mojo();
        again.execute();
        assertTrue(Files.isRegularFile(policies));
        assertEquals(Outcome.WRITTEN, outcome(again, "site-to-site-gw-b.espl"));
    }

    @Test
    void errorsFailTheBuildWithFileLineColumn() throws Exception {
        Files.writeString(src.resolve("bad.espl"), "package bad\n\nsa x {\n\tspi 0x1\n\tmode tunnel src 10.0.0.1 dst 10.0.0.2\n"
                + "\taead aes128gcm16 key env:X\n}\npolicy p {\n\tdir out\n\tsrc 10.1.0.0/16 dst 10.2.0.0/16\n\tprotect nosuch\n}\n");
        GenerateMojo mojo = mojo();
        MojoFailureException e = assertThrows(MojoFailureException.class, mojo::execute);
        String bad = src.resolve("bad.espl").toString();
        assertTrue(e.getMessage().contains("\n" + bad + ":11:"), e.getMessage());
        assertTrue(e.getMessage().contains(": error: "), e.getMessage());
        assertEquals(Outcome.FAILED, outcome(mojo, "bad.espl"));
        assertFalse(Files.exists(out.resolve("bad")));
        // The good models were still generated; the broken one is retried next time.
        assertTrue(Files.isRegularFile(out.resolve("site_to_site/gw_a/GwAPolicies.java")));
        assertThrows(MojoFailureException.class, mojo()::execute);
    }

    @Test
    void aSharedModelWithoutPackageIsValidatedAndSkipped() throws Exception {
        Files.writeString(src.resolve("shared.espl"), "sa x {\n\tspi 0x100\n\tmode tunnel src 10.0.0.1 dst 10.0.0.2\n"
                + "\taead aes128gcm16 key 0x000102030405060708090a0b0c0d0e0f10111213\n}\n");
        Files.writeString(src.resolve("gw.espl"), "package gw\n\nimport \"shared.espl\"\n\npolicy p {\n\tdir out\n"
                + "\tsrc 10.1.0.0/16 dst 10.2.0.0/16\n\tprotect x\n}\n");
        GenerateMojo mojo = mojo();
        mojo.execute();
        assertEquals(Outcome.NO_PACKAGE, outcome(mojo, "shared.espl"));
        assertEquals(Outcome.WRITTEN, outcome(mojo, "gw.espl"));
        assertTrue(Files.readString(out.resolve("gw/GwPolicies.java")).contains("PolicyAction.PROTECT"));

        GenerateMojo again = mojo();
        again.execute();
        assertEquals(Outcome.UP_TO_DATE, outcome(again, "shared.espl"));

        // An error in the shared model fails the build even though it generates nothing.
        Files.writeString(src.resolve("shared.espl"), "sa x {\n\tspi 0x100\n}\n");
        MojoFailureException e = assertThrows(MojoFailureException.class, mojo()::execute);
        assertTrue(e.getMessage().contains(src.resolve("shared.espl") + ":"), e.getMessage());
    }

    @Test
    void aRemovedModelTakesItsSourcesAlong() throws Exception {
        mojo().execute();
        Files.delete(src.resolve("site-to-site-gw-b.espl"));
        mojo().execute();
        assertFalse(Files.exists(out.resolve("site_to_site/gw_b/GwBPolicies.java")));
        assertTrue(Files.isRegularFile(out.resolve("site_to_site/gw_a/GwAPolicies.java")));
    }

    @Test
    void noSourceDirectoryIsNoError() throws Exception {
        GenerateMojo mojo = mojo();
        mojo.sourceDirectory = project.resolve("nothing").toFile();
        mojo.execute();
        assertTrue(mojo.project.getCompileSourceRoots().isEmpty());
    }

    @Test
    void antPatterns() {
        assertTrue(GenerateMojo.antPattern("**/*.espl").matcher("a.espl").matches());
        assertTrue(GenerateMojo.antPattern("**/*.espl").matcher("x/y/a.espl").matches());
        assertFalse(GenerateMojo.antPattern("*.espl").matcher("x/a.espl").matches());
        assertTrue(GenerateMojo.antPattern("site-to-site-gw-?.espl").matcher("site-to-site-gw-a.espl").matches());
        assertFalse(GenerateMojo.antPattern("site-to-site-gw-?.espl").matcher("site-to-site.espl").matches());
        assertTrue(GenerateMojo.antPattern("shared/").matcher("shared/x/a.espl").matches());
    }
}
