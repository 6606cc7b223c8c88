package org.espline.cli;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;

/** The {@code espline} command line. */
public final class Main {
    static final String USAGE = String.join("\n",
            "usage: espline COMMAND ...",
            "commands:",
            "  demo [TX [RX]]            generate, compile and run two gateways' data planes on a synthetic workload",
            "  demo --netns [A B] [--json FILE]",
            "                            (root) two real gateways between network namespaces: ping, iperf3 vs raw veth",
            "  run MODEL [--gateway NAME] [--quiet]",
            "                            run a model's pipelines as a gateway on TUN devices and UDP port 4500 until SIGINT/SIGTERM",
            "  tour                      encrypt and decrypt a bundled capture packet by packet and print the counters",
            "  pcap encrypt|decrypt ...  run a pcap file through ESP output or input (espline pcap --help)",
            "  validate FILE.espl...     check models: file:line:col: error|warning: message on stderr",
            "  import xfrm FILE          print ip xfrm state/policy text as an .espl model",
            "  export xfrm|wireshark M   print a model's SAs and policies as ip xfrm commands, or Wireshark's esp_sa",
            "  generate MODEL... -o DIR  validate models and write their generated Java data planes under DIR",
            "  bench MODEL [--quick] [--json FILE] [--pipelines REGEX] [--sizes LIST]",
            "                            benchmark a model's generated pipelines under JMH (espline bench --help)",
            "  bench-report R.json... -o REPORT.md",
            "                            write a markdown report with SVG charts from bench --json results",
            "  lsp                       the .espl language server on stdin/stdout",
            "  help                      this text");

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /**
     * Runs one command; never throws for bad input or arguments.
     *
     * @return 0 when the run completed (packet drops are reported, not fatal; model warnings only), 1 when a model
     *         or ip xfrm input has errors (validate, import, export), 2 on unusable arguments or input
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        List<String> a = Arrays.asList(args);
        if (a.isEmpty()) {
            err.println(USAGE);
            return 2;
        }
        List<String> rest = a.subList(1, a.size());
        switch (a.get(0)) {
            case "pcap":
                if (rest.isEmpty() || rest.get(0).equals("--help") || rest.get(0).equals("-h")) {
                    out.println(PcapCommand.USAGE);
                    return rest.isEmpty() ? 2 : 0;
                }
                return new PcapCommand(out, err).run(rest);
            case "demo":
                return new DemoCommand(out, err).run(rest);
            case "run":
                return new RunCommand(out, err).run(rest);
            case "tour":
                return new TourCommand(out, err).run(rest);
            case "validate":
                return new ModelCommands(out, err).validate(rest);
            case "import":
                return new ModelCommands(out, err).importCommand(rest);
            case "export":
                return new ModelCommands(out, err).export(rest);
            case "generate":
                return new GenerateCommand(out, err).run(rest);
            case "bench":
                if (!rest.isEmpty() && (rest.get(0).equals("--help") || rest.get(0).equals("-h"))) {
                    out.println(BenchCommand.USAGE);
                    return 0;
                }
                return new BenchCommand(out, err).run(rest);
            case "bench-report":
                return new BenchReportCommand(out, err).run(rest);
            case "lsp":
                if (!rest.isEmpty()) {
                    err.println("usage: espline lsp   (speaks LSP on stdin/stdout)");
                    return 2;
                }
                PrintStream protocol = System.out;
                System.setOut(System.err); // the protocol owns stdout: a stray log line would break the client's framing
                return LspCommand.run(System.in, protocol);
            case "help":
            case "--help":
            case "-h":
                out.println(USAGE);
                return 0;
            default:
                err.println("espline: unknown command '" + a.get(0) + "'\n" + USAGE);
                return 2;
        }
    }
}
