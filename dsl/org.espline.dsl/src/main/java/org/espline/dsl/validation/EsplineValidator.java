package org.espline.dsl.validation;

/**
 * Semantic checks of Espline models (one {@code @Check} per rule of issue 3; to come). Names must be unique per
 * file already ({@code NamesAreUniqueValidator}, composed in GenerateEspline.mwe2).
 */
public class EsplineValidator extends AbstractEsplineValidator {
}
