package org.espline.dsl.ide;

/** Guice bindings of the editor-neutral services (content assist, language server) of the Espline language. */
public class EsplineIdeModule extends AbstractEsplineIdeModule {
}
