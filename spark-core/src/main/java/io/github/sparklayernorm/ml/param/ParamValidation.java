package io.github.sparklayernorm.ml.param;

import io.github.sparklayernorm.kernels.LayerNormSpec;
import java.io.Serializable;
import scala.runtime.AbstractFunction1;

/**
 * Validators for Spark params, as the serializable Scala functions {@link org.apache.spark.ml.param.Param}
 * takes. Spark runs them on every {@code set}, whichever way the value arrives (setter, ParamMap,
 * loading a saved stage), so a bad value is refused where it is given.
 */
public final class ParamValidation {

    /** Finite and strictly positive: what epsilon must be ({@link LayerNormSpec}'s rule). */
    public static AbstractFunction1<Object, Object> finitePositive() {
        return new FinitePositive();
    }

    /** Non-empty, and every value finite: what scale and shift must be. */
    public static AbstractFunction1<double[], Object> finiteNonEmptyArray() {
        return new FiniteNonEmptyArray();
    }

    private static final class FinitePositive extends AbstractFunction1<Object, Object> implements Serializable {
        private static final long serialVersionUID = 1L;

        @Override
        public Object apply(Object value) {
            return LayerNormSpec.epsilonProblem(((Number) value).doubleValue()) == null;
        }
    }

    private static final class FiniteNonEmptyArray extends AbstractFunction1<double[], Object> implements Serializable {
        private static final long serialVersionUID = 1L;

        @Override
        public Object apply(double[] values) {
            // The spec's own rule, so that a param refuses exactly what the spec would.
            return values != null && LayerNormSpec.affineProblem("values", values) == null;
        }
    }

    private ParamValidation() {
    }
}
