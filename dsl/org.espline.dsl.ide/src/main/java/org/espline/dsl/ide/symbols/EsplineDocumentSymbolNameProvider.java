package org.espline.dsl.ide.symbols;

import org.eclipse.emf.ecore.EObject;
import org.eclipse.xtext.ide.server.symbol.DocumentSymbolMapper.DocumentSymbolNameProvider;
import org.espline.dsl.espline.Model;

/**
 * The outline lists a file's elements, not its package: with the named model as a symbol, Xtext 2.42's hierarchical
 * document symbols list every element twice (under the package and at the top).
 */
public class EsplineDocumentSymbolNameProvider extends DocumentSymbolNameProvider {

    @Override
    public String getName(EObject object) {
        return object instanceof Model ? null : super.getName(object);
    }
}
