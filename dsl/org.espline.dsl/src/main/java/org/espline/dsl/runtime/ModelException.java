package org.espline.dsl.runtime;

import java.util.List;

/** A model could not be used: carries every problem found, one per line in the message. */
public final class ModelException extends Exception {
    private static final long serialVersionUID = 1L;

    private final transient List<ModelProblem> problems;

    public ModelException(List<ModelProblem> problems) {
        super(joinOnePerLine(problems));
        this.problems = List.copyOf(problems);
    }

    /** The problems in file order; never empty. */
    public List<ModelProblem> problems() {
        return problems;
    }

    private static String joinOnePerLine(List<ModelProblem> problems) {
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("a ModelException needs at least one problem");
        }
        StringBuilder sb = new StringBuilder();
        for (ModelProblem p : problems) {
            if (sb.length() > 0) {
                sb.append('\n');
            }
            sb.append(p);
        }
        return sb.toString();
    }
}
