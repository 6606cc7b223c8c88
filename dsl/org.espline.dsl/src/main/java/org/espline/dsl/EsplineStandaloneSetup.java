package org.espline.dsl;

/** Registers the Espline language (EMF package, resource factory, file extension {@code espl}) outside Eclipse. */
public class EsplineStandaloneSetup extends EsplineStandaloneSetupGenerated {

    public static void doSetup() {
        new EsplineStandaloneSetup().createInjectorAndDoEMFRegistration();
    }
}
