package io.github.sparklayernorm.kernels.java;

import io.github.sparklayernorm.kernels.LayerNormEngine;
import io.github.sparklayernorm.kernels.LayerNormEngineContract;
class JavaLayerNormTest extends LayerNormEngineContract {

    @Override
    protected LayerNormEngine createEngine() {
        return new JavaLayerNorm();
    }
}
