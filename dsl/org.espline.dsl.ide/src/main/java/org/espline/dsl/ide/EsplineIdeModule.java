package org.espline.dsl.ide;

import org.eclipse.xtext.ide.editor.contentassist.IdeContentProposalProvider;
import org.eclipse.xtext.ide.editor.quickfix.IQuickFixProvider;
import org.eclipse.xtext.ide.server.codeActions.ICodeActionService2;
import org.eclipse.xtext.ide.server.codeActions.QuickFixCodeActionService;
import org.eclipse.xtext.ide.server.symbol.DocumentSymbolMapper.DocumentSymbolKindProvider;
import org.eclipse.xtext.ide.server.symbol.DocumentSymbolMapper.DocumentSymbolNameProvider;
import org.espline.dsl.ide.contentassist.EsplineIdeContentProposalProvider;
import org.espline.dsl.ide.quickfix.EsplineQuickfixProvider;
import org.espline.dsl.ide.symbols.EsplineDocumentSymbolKindProvider;
import org.espline.dsl.ide.symbols.EsplineDocumentSymbolNameProvider;

/**
 * Guice bindings of the editor-neutral services (content assist, code actions, symbols, language server) of the
 * Espline language. Hover text and formatting are bound in the runtime module ({@code EsplineRuntimeModule}), where
 * an Eclipse editor finds them too.
 */
public class EsplineIdeModule extends AbstractEsplineIdeModule {

    public Class<? extends IdeContentProposalProvider> bindIdeContentProposalProvider() {
        return EsplineIdeContentProposalProvider.class;
    }

    /** Code actions are the quick fixes of {@link EsplineQuickfixProvider}. */
    public Class<? extends ICodeActionService2> bindICodeActionService2() {
        return QuickFixCodeActionService.class;
    }

    public Class<? extends IQuickFixProvider> bindIQuickFixProvider() {
        return EsplineQuickfixProvider.class;
    }

    public Class<? extends DocumentSymbolKindProvider> bindDocumentSymbolKindProvider() {
        return EsplineDocumentSymbolKindProvider.class;
    }

    public Class<? extends DocumentSymbolNameProvider> bindDocumentSymbolNameProvider() {
        return EsplineDocumentSymbolNameProvider.class;
    }
}
