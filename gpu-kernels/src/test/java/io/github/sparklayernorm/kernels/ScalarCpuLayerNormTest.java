package io.github.sparklayernorm.kernels;

/** The contract again, on the scalar passes that JVMs without the Vector API run. */
class ScalarCpuLayerNormTest extends LayerNormEngineContract {

    @Override
    protected LayerNormEngine createEngine() {
        return CpuLayerNorm.scalar();
    }
}
