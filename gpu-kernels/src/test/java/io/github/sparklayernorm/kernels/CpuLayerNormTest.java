package io.github.sparklayernorm.kernels;

class CpuLayerNormTest extends LayerNormEngineContract {

    @Override
    protected LayerNormEngine createEngine() {
        return new CpuLayerNorm();
    }
}
