package io.github.sparklayernorm.kernels.java;

import io.github.sparklayernorm.kernels.BatchLayout;
import io.github.sparklayernorm.kernels.LayerNormSpec;
import io.github.sparklayernorm.kernels.RowStatistics;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.DoubleVector;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

/**
 * The SIMD and the scalar passes give the same bits, so an executor's JVM flags and CPU never
 * change a result. (This JVM has the Vector API module, as the build's test configuration asks; the
 * build runs this class twice, the second time with {@code -Dsparklayernorm.simd=256}, so that on
 * a CPU with AVX-512 both register layouts are checked.)
 */
class RowPassesEquivalenceTest {

    /**
     * The engine this JVM uses, for the instruction-set check; the properties compare the SIMD passes
     * themselves, built even where 256-bit vectors are emulated (a CPU with narrower ones), so that
     * they compare something on every machine.
     */
    private final JavaLayerNorm engine = new JavaLayerNorm();
    private final JavaLayerNorm simd = new JavaLayerNorm(new VectorRowPasses());
    private final JavaLayerNorm scalar = JavaLayerNorm.scalar();

    @Test
    void theVectorApiIsUsedWhereTheModuleAndNativeVectorsArePresent() {
        int preferred = DoubleVector.SPECIES_PREFERRED.vectorBitSize();
        boolean capped = "256".equals(System.getProperty("sparklayernorm.simd"));
        String expected = preferred >= 512 && !capped ? "vector-api 512-bit"
                : preferred >= 256 ? "vector-api 256-bit" : "scalar";
        assertEquals(expected, engine.instructionSet());
        assertTrue(simd.instructionSet().startsWith("vector-api"), simd.instructionSet());
        assertEquals("scalar", scalar.instructionSet());
    }

    @Test
    void aJvmWithoutTheModuleFallsBackToTheScalarPasses() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process process = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                InstructionSetProbe.class.getName())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "probe JVM did not finish");
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertEquals(0, process.exitValue(), out);
        assertEquals("scalar -0.99999", out.substring(0, Math.min(out.length(), 15)));
    }

    @Property(tries = 300)
    void doubleRowsAreBitIdentical(@ForAll @IntRange(min = 1, max = 1100) int d,
                                   @ForAll @LongRange(min = 0, max = 1L << 40) long seed,
                                   @ForAll @IntRange(min = 0, max = 5) int kind) {
        Random random = new Random(seed);
        int rows = 3;
        double[] in = new double[rows * d];
        for (int i = 0; i < in.length; i++) {
            in[i] = value(random, kind);
        }
        for (LayerNormSpec spec : specs(random, d)) {
            BatchLayout layout = BatchLayout.uniform(rows, d);
            double[] a = new double[in.length];
            double[] b = new double[in.length];
            RowStatistics sa = new RowStatistics();
            RowStatistics sb = new RowStatistics();
            simd.normalize(in, a, layout, spec, sa);
            scalar.normalize(in, b, layout, spec, sb);
            assertArrayEquals(b, a, "d=" + d + " kind=" + kind);
            for (int r = 0; r < rows; r++) {
                assertEquals(sb.mean(r), sa.mean(r));
                assertEquals(sb.invStdDev(r), sa.invStdDev(r));
            }
        }
    }

    @Property(tries = 300)
    void floatRowsAreBitIdentical(@ForAll @IntRange(min = 1, max = 1100) int d,
                                  @ForAll @LongRange(min = 0, max = 1L << 40) long seed,
                                  @ForAll @IntRange(min = 0, max = 5) int kind) {
        Random random = new Random(seed);
        int rows = 3;
        float[] in = new float[rows * d];
        for (int i = 0; i < in.length; i++) {
            in[i] = (float) value(random, kind);
        }
        for (LayerNormSpec spec : specs(random, d)) {
            BatchLayout layout = BatchLayout.uniform(rows, d);
            float[] a = new float[in.length];
            float[] b = new float[in.length];
            simd.normalize(in, a, layout, spec);
            scalar.normalize(in, b, layout, spec);
            assertArrayEquals(b, a, "d=" + d + " kind=" + kind);
        }
    }

    /**
     * RMS's squares pass is the moments pass about 0 without the plain sum: the same squares, bit
     * for bit, from an offset into the array, for double and float rows (the scalar passes take
     * their squares from their moments pass; the SIMD ones have loops of their own).
     */
    @Property(tries = 200)
    void theSquaresPassGivesTheMomentsPassSquaresAboutZero(@ForAll @IntRange(min = 1, max = 1100) int d,
                                                          @ForAll @LongRange(min = 0, max = 1L << 40) long seed,
                                                          @ForAll @IntRange(min = 0, max = 5) int kind) {
        Random random = new Random(seed);
        double[] x = new double[d + 3];
        float[] f = new float[d + 3];
        for (int i = 0; i < x.length; i++) {
            x[i] = value(random, kind);
            f[i] = (float) value(random, kind);
        }
        for (RowPasses passes : new RowPasses[] {new VectorRowPasses(), ScalarRowPasses.INSTANCE}) {
            CompensatedSum sum = new CompensatedSum();
            CompensatedSum squares = new CompensatedSum();
            CompensatedSum alone = new CompensatedSum();
            passes.moments(x, 2, d, 0.0, sum, squares);
            passes.squares(x, 2, d, alone);
            assertEquals(Double.doubleToRawLongBits(squares.value()), Double.doubleToRawLongBits(alone.value()),
                    passes.description() + ", double, d=" + d + " kind=" + kind);
            passes.floatMoments(f, 2, d, 0.0, sum, squares);
            passes.floatSquares(f, 2, d, alone);
            assertEquals(Double.doubleToRawLongBits(squares.value()), Double.doubleToRawLongBits(alone.value()),
                    passes.description() + ", float, d=" + d + " kind=" + kind);
        }
    }

    /** Ordinary rows, rows with an offset, constant rows, small and large ranges, a NaN now and then. */
    private static double value(Random random, int kind) {
        switch (kind) {
            case 0: return random.nextGaussian();
            case 1: return 1e8 + random.nextGaussian();
            case 2: return 42.5;
            case 3: return random.nextGaussian() * 1e-300;
            case 4: return random.nextGaussian() * 1e200;
            default: return random.nextInt(1000) == 0 ? Double.NaN : random.nextGaussian() * 3 - 7;
        }
    }

    private static LayerNormSpec[] specs(Random random, int d) {
        double[] scale = new double[d];
        double[] shift = new double[d];
        for (int i = 0; i < d; i++) {
            scale[i] = random.nextGaussian();
            shift[i] = random.nextGaussian();
        }
        return new LayerNormSpec[] {
            LayerNormSpec.of(1e-5),
            LayerNormSpec.of(1e-5, scale, shift),
            LayerNormSpec.rms(1e-6, scale),
            LayerNormSpec.rms(1e-6, null),
        };
    }
}
