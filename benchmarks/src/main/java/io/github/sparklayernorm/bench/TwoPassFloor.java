package io.github.sparklayernorm.bench;

import io.github.sparklayernorm.kernels.BatchLayout;
import io.github.sparklayernorm.kernels.BatchReport;
import io.github.sparklayernorm.kernels.LayerNormEngine;
import io.github.sparklayernorm.kernels.LayerNormSpec;
import io.github.sparklayernorm.kernels.RowStatistics;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Not an engine: the least work any two-pass normalization of a row does, as a yardstick for the
 * engines in the same run ({@code engine=two-pass-floor}). Per row, one pass reads the row and sums
 * it, then one writes {@code scale * (x - mean) + shift} (without {@code shift} under
 * {@code norm=rms}). No variance, no exactness, no checks: what is left is the memory traffic of a
 * row read twice (the second time from the L1 cache) and written once, the per-row wait between
 * the passes, and the loads of scale and shift. An exact engine cannot beat it; how close it comes
 * to the copy bounds what any engine of two passes can reach on the machine.
 */
final class TwoPassFloor implements LayerNormEngine {

    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Float> F =
            VectorSpecies.of(float.class, VectorShape.forBitSize(D.vectorBitSize() / 2));
    private static final int W = D.length();

    // The double and float versions are written out apart, as the engine's passes are: a helper
    // taking or returning vectors would put them on the heap, and the floor would measure that.

    private static final BatchReport REPORT = BatchReport.of("two-pass-floor");

    @Override
    public String name() {
        return "two-pass-floor";
    }

    @Override
    public BatchReport normalize(double[] in, double[] out, BatchLayout layout, LayerNormSpec spec, RowStatistics stats) {
        double[] scale = spec.scaleOrNull();
        double[] shift = spec.shiftOrNull();
        for (int r = 0; r < layout.rowCount(); r++) {
            int o = layout.start(r);
            int n = layout.length(r);
            int bound = n - n % (2 * W);
            DoubleVector a0 = DoubleVector.zero(D);
            DoubleVector a1 = a0;
            for (int i = 0; i < bound; i += 2 * W) {
                a0 = a0.add(DoubleVector.fromArray(D, in, o + i));
                a1 = a1.add(DoubleVector.fromArray(D, in, o + i + W));
            }
            double sum = a0.add(a1).reduceLanes(VectorOperators.ADD);
            for (int i = bound; i < n; i++) {
                sum += in[o + i];
            }
            DoubleVector mean = DoubleVector.broadcast(D, sum / n);
            int end = n - n % W;
            if (shift != null) {
                for (int i = 0; i < end; i += W) {
                    DoubleVector.fromArray(D, scale, i).fma(DoubleVector.fromArray(D, in, o + i).sub(mean),
                            DoubleVector.fromArray(D, shift, i)).intoArray(out, o + i);
                }
            } else {
                for (int i = 0; i < end; i += W) {
                    DoubleVector.fromArray(D, scale, i).mul(DoubleVector.fromArray(D, in, o + i).sub(mean))
                            .intoArray(out, o + i);
                }
            }
            for (int i = end; i < n; i++) {
                out[o + i] = scale[i] * (in[o + i] - sum / n) + (shift == null ? 0.0 : shift[i]);
            }
        }
        return REPORT;
    }

    @Override
    public BatchReport normalize(float[] in, float[] out, BatchLayout layout, LayerNormSpec spec, RowStatistics stats) {
        double[] scale = spec.scaleOrNull();
        double[] shift = spec.shiftOrNull();
        for (int r = 0; r < layout.rowCount(); r++) {
            int o = layout.start(r);
            int n = layout.length(r);
            int bound = n - n % (2 * W);
            DoubleVector a0 = DoubleVector.zero(D);
            DoubleVector a1 = a0;
            for (int i = 0; i < bound; i += 2 * W) {
                a0 = a0.add((DoubleVector) FloatVector.fromArray(F, in, o + i).castShape(D, 0));
                a1 = a1.add((DoubleVector) FloatVector.fromArray(F, in, o + i + W).castShape(D, 0));
            }
            double sum = a0.add(a1).reduceLanes(VectorOperators.ADD);
            for (int i = bound; i < n; i++) {
                sum += in[o + i];
            }
            DoubleVector mean = DoubleVector.broadcast(D, sum / n);
            int end = n - n % W;
            if (shift != null) {
                for (int i = 0; i < end; i += W) {
                    DoubleVector x = (DoubleVector) FloatVector.fromArray(F, in, o + i).castShape(D, 0);
                    ((FloatVector) DoubleVector.fromArray(D, scale, i).fma(x.sub(mean), DoubleVector.fromArray(D, shift, i))
                            .castShape(F, 0)).intoArray(out, o + i);
                }
            } else {
                for (int i = 0; i < end; i += W) {
                    DoubleVector x = (DoubleVector) FloatVector.fromArray(F, in, o + i).castShape(D, 0);
                    ((FloatVector) DoubleVector.fromArray(D, scale, i).mul(x.sub(mean)).castShape(F, 0))
                            .intoArray(out, o + i);
                }
            }
            for (int i = end; i < n; i++) {
                out[o + i] = (float) (scale[i] * (in[o + i] - sum / n) + (shift == null ? 0.0 : shift[i]));
            }
        }
        return REPORT;
    }
}
