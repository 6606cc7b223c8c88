package org.espline.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.espline.dsl.runtime.ModelException;
import org.espline.dsl.runtime.ModelProblem;
import org.espline.dsl.runtime.ModelSas;
import org.espline.runtime.config.ConfigException;
import org.espline.runtime.config.ConfigProblem;
import org.espline.runtime.config.XfrmPolicy;
import org.espline.runtime.config.XfrmPolicyParser;
import org.espline.runtime.config.XfrmStateParser;
import org.espline.runtime.config.XfrmStateWriter;
import org.espline.runtime.sa.SaConfig;
import org.espline.runtime.sa.SaMode;

/**
 * {@code espline validate|import|export}: the commands on {@code .espl} models. Problems in what they read go to
 * stderr as {@code file:line:col: ...}; exit status 0 (done; warnings only), 1 (the input has errors) or 2
 * (unusable arguments or a missing file).
 */
final class ModelCommands {
    static final String VALIDATE_USAGE = "usage: espline validate FILE.espl...";
    static final String IMPORT_USAGE = "usage: espline import xfrm FILE   (ip xfrm state/policy commands or listings; the model goes to stdout)";
    static final String EXPORT_USAGE = String.join("\n",
            "usage: espline export xfrm MODEL.espl       ip xfrm state add / ip xfrm policy add commands",
            "       espline export wireshark MODEL.espl  Wireshark's esp_sa table");

    private final PrintStream out;
    private final PrintStream err;

    ModelCommands(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /** Every problem of every file (and of the files they import), errors and warnings. */
    int validate(List<String> args) {
        if (args.isEmpty() || args.get(0).startsWith("-")) {
            err.println(args.isEmpty() ? VALIDATE_USAGE : "espline: unknown option " + args.get(0) + "\n" + VALIDATE_USAGE);
            return 2;
        }
        List<Path> files = new ArrayList<>();
        for (String a : args) {
            Path p = Path.of(a);
            if (!Files.isRegularFile(p)) {
                err.println("espline: no such file: " + a);
                return 2;
            }
            files.add(p);
        }
        ModelSas.Loaded loaded = new ModelSas().load(files);
        for (ModelProblem p : loaded.problems()) {
            err.println(p);
        }
        return loaded.hasErrors() ? 1 : 0;
    }

    int importCommand(List<String> args) {
        if (args.size() != 2 || !args.get(0).equals("xfrm")) {
            err.println(IMPORT_USAGE);
            return 2;
        }
        Path file = Path.of(args.get(1));
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            err.println("espline: no such file: " + args.get(1));
            return 2;
        }
        String name = args.get(1);
        XfrmPolicyParser.Split split = XfrmPolicyParser.split(text);
        List<ConfigProblem> problems = new ArrayList<>();
        List<SaConfig> sas = List.of();
        List<XfrmPolicy> policies = List.of();
        try {
            sas = new XfrmStateParser().parse(split.states(), name);
        } catch (ConfigException e) {
            problems.addAll(e.problems());
        }
        try {
            policies = new XfrmPolicyParser().parse(split.policies(), name);
        } catch (ConfigException e) {
            problems.addAll(e.problems());
        }
        if (problems.isEmpty() && sas.isEmpty() && policies.isEmpty()) {
            problems.add(new ConfigProblem(name, 1, 1, "xfrm.missing", "no SA or policy found (expected 'ip xfrm state add ...',"
                    + " 'ip xfrm policy add ...' or their listings)"));
        }
        if (printed(problems)) {
            return 1;
        }
        XfrmImport model = new XfrmImport(name);
        String text2 = model.toModel(sas, policies);
        if (printed(model.problems())) {
            return 1;
        }
        model.notes().forEach(err::println);
        out.print(text2);
        return 0;
    }

    private boolean printed(List<ConfigProblem> problems) {
        problems.sort((a, b) -> a.line() != b.line() ? Integer.compare(a.line(), b.line()) : Integer.compare(a.column(), b.column()));
        problems.forEach(err::println);
        return !problems.isEmpty();
    }

    int export(List<String> args) {
        if (args.size() != 2 || !(args.get(0).equals("xfrm") || args.get(0).equals("wireshark"))) {
            err.println(EXPORT_USAGE);
            return 2;
        }
        Path file = Path.of(args.get(1));
        if (!Files.isRegularFile(file)) {
            err.println("espline: no such file: " + args.get(1));
            return 2;
        }
        ModelSas models = new ModelSas();
        ModelSas.Loaded loaded = models.load(file);
        if (loaded.hasErrors()) {
            loaded.errors().forEach(err::println);
            return 1;
        }
        try {
            List<SaConfig> sas = models.sas(loaded);
            if (args.get(0).equals("xfrm")) {
                out.print(xfrm(sas, models.policies(loaded, sas)));
            } else {
                wireshark(sas);
            }
            return 0;
        } catch (ModelException e) {
            e.problems().forEach(err::println);
            return 1;
        } catch (IllegalArgumentException e) {
            err.println(file + ": " + e.getMessage());
            return 1;
        }
    }

    /**
     * The SAs' {@code ip xfrm state add} commands, then the policies'; a {@code dir in} policy of tunnel mode is
     * written for {@code dir fwd} too, as a gateway that forwards decrypted traffic needs it.
     */
    static String xfrm(List<SaConfig> sas, List<XfrmPolicy> policies) {
        StringBuilder s = new StringBuilder("# Written by 'espline export xfrm'. The keys are literal: keep this output secret.\n");
        s.append(new XfrmStateWriter().toIpXfrmCommands(sas));
        for (XfrmPolicy p : policies) {
            s.append(p.toIpXfrmCommand());
            if (p.direction() == XfrmPolicy.Direction.IN && p.template() != null && p.template().mode() == SaMode.TUNNEL) {
                s.append(new XfrmPolicy(XfrmPolicy.Direction.FWD, p.source(), p.sourcePrefix(), p.destination(),
                        p.destinationPrefix(), p.protocol(), p.sourcePort(), p.destinationPort(), p.block(), p.priority(),
                        p.template(), 0, 0).toIpXfrmCommand());
            }
        }
        return s.toString();
    }

    /** The esp_sa table on stdout; SAs Wireshark cannot decrypt are named on stderr, not dropped silently. */
    private void wireshark(List<SaConfig> sas) {
        List<SaConfig> supported = new ArrayList<>();
        for (SaConfig sa : sas) {
            if (XfrmStateWriter.wiresharkSupports(sa)) {
                supported.add(sa);
            } else {
                err.println("# not in the table: " + sa.name() + " (" + sa.encryption().linuxName()
                        + "): Wireshark 4.0 decrypts only NULL, AES-CBC and AES-GCM");
            }
        }
        out.print(new XfrmStateWriter().toWiresharkEspSa(supported));
    }
}
