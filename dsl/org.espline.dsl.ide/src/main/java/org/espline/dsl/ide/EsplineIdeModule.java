package org.espline.dsl.ide;

import org.eclipse.xtext.ide.editor.quickfix.IQuickFixProvider;
import org.eclipse.xtext.ide.server.codeActions.ICodeActionService2;
import org.eclipse.xtext.ide.server.codeActions.QuickFixCodeActionService;
import org.espline.dsl.ide.quickfix.EsplineQuickfixProvider;

/** Guice bindings of the editor-neutral services (content assist, language server) of the Espline language. */
public class EsplineIdeModule extends AbstractEsplineIdeModule {

    /** Code actions are the quick fixes of {@link EsplineQuickfixProvider}. */
    public Class<? extends ICodeActionService2> bindICodeActionService2() {
        return QuickFixCodeActionService.class;
    }

    public Class<? extends IQuickFixProvider> bindIQuickFixProvider() {
        return EsplineQuickfixProvider.class;
    }
}
