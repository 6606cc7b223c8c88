package org.espline.dsl.ide;

import com.google.inject.Guice;
import com.google.inject.Injector;
import org.eclipse.xtext.util.Modules2;
import org.espline.dsl.EsplineRuntimeModule;
import org.espline.dsl.EsplineStandaloneSetup;

/** Sets the language up with its IDE services, as a language server needs it. */
public class EsplineIdeSetup extends EsplineStandaloneSetup {

    @Override
    public Injector createInjector() {
        return Guice.createInjector(Modules2.mixin(new EsplineRuntimeModule(), new EsplineIdeModule()));
    }
}
