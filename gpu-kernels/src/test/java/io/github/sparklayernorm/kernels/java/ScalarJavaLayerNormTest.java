package io.github.sparklayernorm.kernels.java;

import io.github.sparklayernorm.kernels.LayerNormEngine;
import io.github.sparklayernorm.kernels.LayerNormEngineContract;
/** The contract again, on the scalar passes that JVMs without the Vector API run. */
class ScalarJavaLayerNormTest extends LayerNormEngineContract {

    @Override
    protected LayerNormEngine createEngine() {
        return JavaLayerNorm.scalar();
    }
}
