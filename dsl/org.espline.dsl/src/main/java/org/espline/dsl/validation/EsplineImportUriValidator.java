package org.espline.dsl.validation;

import org.eclipse.emf.common.util.URI;
import org.eclipse.emf.ecore.EObject;
import org.eclipse.xtext.EcoreUtil2;
import org.eclipse.xtext.validation.Check;
import org.eclipse.xtext.validation.ImportUriValidator;

/**
 * Xtext's check that an imported file exists, with a message that names the file ("Imported resource could not be
 * found." does not). Bound in place of {@link ImportUriValidator}, which the generated validator composes.
 */
public class EsplineImportUriValidator extends ImportUriValidator {

    @Override
    @Check
    public void checkImportUriIsValid(EObject object) {
        String importUri = getResolver().resolve(object);
        if (importUri == null) {
            return;
        }
        URI uri = URI.createURI(importUri);
        URI base = object.eResource() != null ? object.eResource().getURI() : null;
        // Only an absolute, hierarchical base can anchor a relative import (an in-memory or relative
        // resource URI cannot, and URI.resolve would throw).
        URI resolved = base != null && base.isHierarchical() && !base.isRelative() && uri.isRelative()
                ? uri.resolve(base) : uri;
        if (!EcoreUtil2.isValidUri(object, uri)) {
            error("imported file '" + importUri + "' not found: expected a model at " + resolved,
                    getResolver().getAttribute(object), EsplineIssueCodes.IMPORT_MISSING, importUri);
        }
    }
}
