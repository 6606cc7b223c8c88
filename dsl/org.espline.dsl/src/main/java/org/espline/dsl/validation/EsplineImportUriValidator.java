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
        URI resolved = object.eResource() != null && object.eResource().getURI() != null && uri.isRelative()
                ? uri.resolve(object.eResource().getURI()) : uri;
        if (!EcoreUtil2.isValidUri(object, uri)) {
            error("imported file '" + importUri + "' not found: expected a model at " + resolved,
                    getResolver().getAttribute(object), EsplineIssueCodes.IMPORT_MISSING, importUri);
        }
    }
}
