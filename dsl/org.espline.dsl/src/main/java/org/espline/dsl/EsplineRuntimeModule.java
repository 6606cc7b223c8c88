package org.espline.dsl;

import com.google.inject.Binder;
import com.google.inject.name.Names;
import org.eclipse.xtext.documentation.IEObjectDocumentationProvider;
import org.eclipse.xtext.formatting2.IFormatter2;
import org.eclipse.xtext.scoping.IGlobalScopeProvider;
import org.eclipse.xtext.scoping.IScopeProvider;
import org.eclipse.xtext.scoping.impl.AbstractDeclarativeScopeProvider;
import org.eclipse.xtext.scoping.impl.ImportUriGlobalScopeProvider;
import org.eclipse.xtext.scoping.impl.SimpleLocalScopeProvider;
import org.eclipse.xtext.validation.ImportUriValidator;
import org.espline.dsl.documentation.EsplineDocumentationProvider;
import org.espline.dsl.formatting2.EsplineFormatter;
import org.espline.dsl.validation.EsplineImportUriValidator;

/**
 * Guice bindings of the Espline language that differ from the generated defaults.
 *
 * <p>Names are simple (see {@code SimpleNamesFragment2} in GenerateEspline.mwe2) and a model sees the elements of its
 * own file plus those of the files it names with {@code import "other.espl"}, resolved relative to the importing file,
 * not everything on a class path or in a workspace.
 */
public class EsplineRuntimeModule extends AbstractEsplineRuntimeModule {

    @Override
    public Class<? extends IGlobalScopeProvider> bindIGlobalScopeProvider() {
        return ImportUriGlobalScopeProvider.class;
    }

    /** Names carry no namespace, so the local scope needs no import-namespace handling. */
    @Override
    public void configureIScopeProviderDelegate(Binder binder) {
        binder.bind(IScopeProvider.class)
                .annotatedWith(Names.named(AbstractDeclarativeScopeProvider.NAMED_DELEGATE))
                .to(SimpleLocalScopeProvider.class);
    }

    /** A missing imported file is reported with its name. */
    public Class<? extends ImportUriValidator> bindImportUriValidator() {
        return EsplineImportUriValidator.class;
    }

    /** The formatter behind the language server's formatting requests (and the Eclipse editor's). */
    public Class<? extends IFormatter2> bindIFormatter2() {
        return EsplineFormatter.class;
    }

    /** Hover text: a summary of SAs (never their keys), offload targets, engines, buffers, policies and pipelines. */
    public Class<? extends IEObjectDocumentationProvider> bindIEObjectDocumentationProvider() {
        return EsplineDocumentationProvider.class;
    }
}
