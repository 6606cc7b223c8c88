package org.espline.dsl.ide.symbols;

import org.eclipse.emf.ecore.EClass;
import org.eclipse.lsp4j.SymbolKind;
import org.eclipse.xtext.ide.server.symbol.DocumentSymbolMapper.DocumentSymbolKindProvider;
import org.espline.dsl.espline.EsplinePackage.Literals;

/**
 * Outline kinds of the named elements. LSP has no words for IPsec, so the icons are picked by analogy: an SA holds keys
 * (Key), a policy decides what happens to a packet (Event), a pipeline runs (Function), an engine and an offload target
 * do the crypto (Class, Interface), buffers are a layout (Struct), and a model with a package is a Package (in
 * workspace symbols; the document outline leaves the model out, see {@link EsplineDocumentSymbolNameProvider}).
 */
public class EsplineDocumentSymbolKindProvider extends DocumentSymbolKindProvider {

    @Override
    protected SymbolKind getSymbolKind(EClass type) {
        if (type == Literals.SECURITY_ASSOCIATION) {
            return SymbolKind.Key;
        } else if (type == Literals.POLICY) {
            return SymbolKind.Event;
        } else if (type == Literals.PIPELINE) {
            return SymbolKind.Function;
        } else if (type == Literals.ENGINE) {
            return SymbolKind.Class;
        } else if (type == Literals.OFFLOAD) {
            return SymbolKind.Interface;
        } else if (type == Literals.BUFFERS) {
            return SymbolKind.Struct;
        } else if (type == Literals.MODEL) {
            return SymbolKind.Package;
        }
        return super.getSymbolKind(type);
    }
}
