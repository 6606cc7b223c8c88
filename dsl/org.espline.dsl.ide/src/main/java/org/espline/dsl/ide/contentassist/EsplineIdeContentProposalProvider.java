package org.espline.dsl.ide.contentassist;

import com.google.inject.Inject;
import org.eclipse.xtext.Assignment;
import org.eclipse.xtext.Keyword;
import org.eclipse.xtext.ide.editor.contentassist.ContentAssistContext;
import org.eclipse.xtext.ide.editor.contentassist.ContentAssistEntry;
import org.eclipse.xtext.ide.editor.contentassist.IIdeContentProposalAcceptor;
import org.eclipse.xtext.ide.editor.contentassist.IdeContentProposalProvider;
import org.espline.dsl.services.EsplineGrammarAccess;

/**
 * Content assist of {@code .espl} models.
 *
 * <p>What the parser allows at the cursor comes from Xtext: the keywords, the algorithm names of the enum rules (only AEAD
 * names after {@code aead}, ciphers after {@code enc}, integrity algorithms after {@code auth}) and the names of the SAs,
 * engines, offload targets and buffers in scope. This class adds snippets where an element may begin (an SA with AEAD,
 * an SA with cipher and integrity, a policy, a tx and an rx pipeline) and leaves out punctuation, which nobody completes.
 * The snippets take keys from the environment: a literal key is for tests and examples.
 */
public class EsplineIdeContentProposalProvider extends IdeContentProposalProvider {

    /** LSP snippet syntax: ${n:placeholder}, $0 the final cursor position. */
    private static final String[][] ELEMENT_SNIPPETS = {
        {"sa (aead)", "an outbound tunnel-mode SA with AES-GCM",
            "sa ${1:name} {\n\tspi ${2:0x1000}\n\tdir ${3:out}\n\tmode tunnel src ${4:192.0.2.1} dst ${5:198.51.100.1}\n"
                + "\taead ${6:aes128gcm16} key env:${7:GCM_KEY}\n\treplay-window ${8:64}\n}\n$0"},
        {"sa (enc + auth)", "an inbound tunnel-mode SA with AES-CBC and HMAC-SHA-256",
            "sa ${1:name} {\n\tspi ${2:0x1000}\n\tdir ${3:in}\n\tmode tunnel src ${4:198.51.100.1} dst ${5:192.0.2.1}\n"
                + "\tenc ${6:aes128} key env:${7:CBC_KEY}\n\tauth ${8:sha256} key env:${9:HMAC_KEY}\n"
                + "\treplay-window ${10:64}\n}\n$0"},
        {"policy (protect)", "an outbound policy that protects a prefix pair with an SA",
            "policy ${1:name} {\n\tdir out\n\tsrc ${2:10.1.0.0/16} dst ${3:10.2.0.0/16}\n\tprotect ${4:sa}\n}\n$0"},
        {"pipeline (tx)", "a transmit pipeline: classify, segment, encrypt",
            "pipeline ${1:egress} tx {\n\tfrom tun \"${2:esp0}\"\n\tclassify\n\tgso mss ${3:1360}\n\tencrypt\n"
                + "\tto udp ${4:192.0.2.1} port ${5:4500}\n}\n$0"},
        {"pipeline (rx)", "a receive pipeline: decrypt, coalesce, capture the decrypted traffic",
            "pipeline ${1:ingress} rx {\n\tfrom udp ${2:192.0.2.1} port ${3:4500}\n\tdecrypt\n\tgro\n"
                + "\ttap pcap \"${4:decrypted.pcap}\"\n\tto tun \"${5:esp0}\"\n}\n$0"},
    };

    @Inject
    private EsplineGrammarAccess grammar;

    @Override
    protected void _createProposals(Assignment assignment, ContentAssistContext context,
            IIdeContentProposalAcceptor acceptor) {
        if (assignment == grammar.getModelAccess().getElementsAssignment_3()) {
            for (String[] snippet : ELEMENT_SNIPPETS) {
                ContentAssistEntry entry = getProposalCreator().createSnippet(snippet[2], snippet[0], context);
                if (entry != null) {
                    entry.setDescription(snippet[1]);
                    acceptor.accept(entry, getProposalPriorities().getDefaultPriority(entry));
                }
            }
        }
        super._createProposals(assignment, context, acceptor);
    }

    /** Keywords with a letter: {@code {}}, {@code :} and {@code -} are typed, not chosen from a list. */
    @Override
    protected boolean filterKeyword(Keyword keyword, ContentAssistContext context) {
        return keyword.getValue().chars().anyMatch(Character::isLetter) && super.filterKeyword(keyword, context);
    }
}
