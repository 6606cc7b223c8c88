package org.espline.dsl.scoping;

/**
 * Scoping of Espline references (SAs, offload targets, engines, buffers). The defaults suffice for now: every
 * reference sees the elements of its type in the same file and in the imported files.
 */
public class EsplineScopeProvider extends AbstractEsplineScopeProvider {
}
