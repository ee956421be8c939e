package io.github.sparklayernorm.kernels.java;

import io.github.sparklayernorm.kernels.BatchLayout;
import io.github.sparklayernorm.kernels.LayerNormSpec;
/** Run in a child JVM started without the Vector API module: prints what the Java engine uses. */
public final class InstructionSetProbe {

    public static void main(String[] args) {
        JavaLayerNorm engine = new JavaLayerNorm();
        double[] out = new double[2];
        engine.normalize(new double[] {1, 3}, out, BatchLayout.uniform(1, 2), LayerNormSpec.of(1e-5));
        System.out.println(engine.instructionSet() + " " + out[0]);
    }

    private InstructionSetProbe() {
    }
}
