package org.espline.dsl.ide;

import org.eclipse.xtext.ide.editor.contentassist.IdeContentProposalProvider;
import org.eclipse.xtext.ide.server.symbol.DocumentSymbolMapper.DocumentSymbolKindProvider;
import org.eclipse.xtext.ide.server.symbol.DocumentSymbolMapper.DocumentSymbolNameProvider;
import org.espline.dsl.ide.contentassist.EsplineIdeContentProposalProvider;
import org.espline.dsl.ide.symbols.EsplineDocumentSymbolKindProvider;
import org.espline.dsl.ide.symbols.EsplineDocumentSymbolNameProvider;

/**
 * Guice bindings of the editor-neutral services (content assist, language server) of the Espline language. Hover text
 * and formatting are bound in the runtime module ({@code EsplineRuntimeModule}), where an Eclipse editor finds them too.
 */
public class EsplineIdeModule extends AbstractEsplineIdeModule {

    public Class<? extends IdeContentProposalProvider> bindIdeContentProposalProvider() {
        return EsplineIdeContentProposalProvider.class;
    }

    public Class<? extends DocumentSymbolKindProvider> bindDocumentSymbolKindProvider() {
        return EsplineDocumentSymbolKindProvider.class;
    }

    public Class<? extends DocumentSymbolNameProvider> bindDocumentSymbolNameProvider() {
        return EsplineDocumentSymbolNameProvider.class;
    }
}
