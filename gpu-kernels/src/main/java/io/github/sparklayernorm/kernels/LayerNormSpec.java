package io.github.sparklayernorm.kernels;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Objects;

/**
 * What to compute, per row: layer normalization,
 * {@code y = scale * (x - mean(x)) / sqrt(var(x) + epsilon) + shift}, or RMS normalization,
 * {@code y = scale * x / sqrt(mean(x^2) + epsilon)} (not centered, no shift).
 *
 * <p>Immutable and validated on construction, so that every engine can trust it. {@code scale}
 * and {@code shift} are optional; when one or both are given, every row must have their length.
 * Serializable, so that a Spark task can carry it to the executors.
 */
public final class LayerNormSpec implements Serializable {
    private static final long serialVersionUID = 1L;

    /** PyTorch's and ONNX's default. */
    public static final double DEFAULT_EPSILON = 1e-5;

    private final double epsilon;
    private final double[] scale;
    private final double[] shift;
    private final boolean centered;

    private LayerNormSpec(double epsilon, double[] scale, double[] shift, boolean centered) {
        String problem = epsilonProblem(epsilon);
        if (problem == null) {
            problem = affineProblem("scale", scale);
        }
        if (problem == null) {
            problem = affineProblem("shift", shift);
        }
        if (problem == null && scale != null && shift != null && scale.length != shift.length) {
            problem = "scale has " + scale.length + " values but shift has " + shift.length
                    + "; both must have the row length";
        }
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        this.epsilon = epsilon;
        this.scale = scale == null ? null : scale.clone();
        this.shift = shift == null ? null : shift.clone();
        this.centered = centered;
    }

    /** Plain normalization: no scale, no shift; each row is normalized over its own length. */
    public static LayerNormSpec of(double epsilon) {
        return new LayerNormSpec(epsilon, null, null, true);
    }

    /** With the learned affine parameters; either may be {@code null} (ones / zeros). */
    public static LayerNormSpec of(double epsilon, double[] scale, double[] shift) {
        return new LayerNormSpec(epsilon, scale, shift, true);
    }

    /** RMS normalization: no mean subtraction, no shift; {@code scale} may be {@code null} (ones). */
    public static LayerNormSpec rms(double epsilon, double[] scale) {
        return new LayerNormSpec(epsilon, scale, null, false);
    }

    /** True for layer normalization (the mean is subtracted), false for RMS normalization. */
    public boolean centered() {
        return centered;
    }

    /**
     * The one rule for epsilon, wherever it is given: finite and above 0. Returns what is wrong
     * with it in words, or {@code null}.
     */
    public static String epsilonProblem(double epsilon) {
        return epsilon > 0 && !Double.isInfinite(epsilon) ? null
                : "epsilon must be finite and > 0 (it keeps constant rows finite), got " + epsilon;
    }

    /**
     * The one rule for scale and shift values, wherever they are given (the spec, the stages'
     * params, the job's options): when given, not empty and every value finite. Returns what is
     * wrong with {@code values} in words ("scale[1] is NaN; scale values must be finite"), or
     * {@code null} when they are right or not given.
     */
    public static String affineProblem(String name, double[] values) {
        if (values == null) {
            return null;
        }
        if (values.length == 0) {
            return name + " is empty; when given, it has one value per feature";
        }
        for (int i = 0; i < values.length; i++) {
            if (!Double.isFinite(values[i])) {
                return name + "[" + i + "] is " + values[i] + "; " + name + " values must be finite";
            }
        }
        return null;
    }

    /**
     * The one rule for a row's length against scale/shift: what is wrong with a row of
     * {@code length} values, in words that follow the row's name ("has 4 values but scale/shift
     * have 3; ..."), or {@code null} when the spec takes it.
     */
    public String rowLengthProblem(int length) {
        return rowLengthProblem(length, requiredRowLength());
    }

    /** As {@link #rowLengthProblem(int)}, for a spec whose scale/shift have {@code required} values (-1: none). */
    public static String rowLengthProblem(int length, int required) {
        if (required < 0 || length == required) {
            return null;
        }
        return "has " + length + " values but scale/shift have " + required + "; every row must have their length";
    }

    public double epsilon() {
        return epsilon;
    }

    /** The scale (gamma), or {@code null} for all ones. Not copied: callers must not modify it. */
    public double[] scaleOrNull() {
        return scale;
    }

    /** The shift (beta), or {@code null} for all zeros. Not copied: callers must not modify it. */
    public double[] shiftOrNull() {
        return shift;
    }

    /** The length every row must have, or -1 when rows may have any length. */
    public int requiredRowLength() {
        if (scale != null) {
            return scale.length;
        }
        return shift != null ? shift.length : -1;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof LayerNormSpec)) {
            return false;
        }
        LayerNormSpec other = (LayerNormSpec) o;
        return Double.compare(epsilon, other.epsilon) == 0
                && centered == other.centered
                && Arrays.equals(scale, other.scale)
                && Arrays.equals(shift, other.shift);
    }

    @Override
    public int hashCode() {
        return Objects.hash(epsilon, centered, Arrays.hashCode(scale), Arrays.hashCode(shift));
    }

    @Override
    public String toString() {
        return "LayerNormSpec{" + (centered ? "layer" : "rms") + ", epsilon=" + epsilon
                + ", scale=" + (scale == null ? "ones" : scale.length + " values")
                + ", shift=" + (shift == null ? "zeros" : shift.length + " values") + "}";
    }
}
