package io.github.sparklayernorm.kernels.opencl;

import io.github.sparklayernorm.kernels.LayerNormEngine;
import io.github.sparklayernorm.kernels.LayerNormEngineContract;

/** The whole engine contract, on a real OpenCL device (PoCL's CPU device where there is no GPU). */
class OpenClLayerNormTest extends LayerNormEngineContract {

    @Override
    protected LayerNormEngine createEngine() {
        return new OpenClLayerNorm(OpenClTestSupport.requireDevice());
    }
}
