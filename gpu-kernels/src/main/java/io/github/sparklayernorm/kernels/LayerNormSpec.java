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
        if (!(epsilon > 0) || Double.isInfinite(epsilon)) {
            throw new IllegalArgumentException(
                    "epsilon must be finite and > 0 (it keeps constant rows finite), got " + epsilon);
        }
        requireFinite("scale", scale);
        requireFinite("shift", shift);
        if (scale != null && shift != null && scale.length != shift.length) {
            throw new IllegalArgumentException("scale has " + scale.length + " values but shift has "
                    + shift.length + "; both must have the row length");
        }
        if ((scale != null && scale.length == 0) || (shift != null && shift.length == 0)) {
            throw new IllegalArgumentException("scale and shift, when given, must not be empty");
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

    private static void requireFinite(String name, double[] values) {
        if (values == null) {
            return;
        }
        for (int i = 0; i < values.length; i++) {
            if (!Double.isFinite(values[i])) {
                throw new IllegalArgumentException(name + "[" + i + "] is " + values[i]
                        + "; " + name + " values must be finite");
            }
        }
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

    public double[] scale() {
        return scale == null ? null : scale.clone();
    }

    public double[] shift() {
        return shift == null ? null : shift.clone();
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
