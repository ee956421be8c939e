package io.github.sparklayernorm.kernels.routing;

import io.github.sparklayernorm.kernels.KernelShape;
import io.github.sparklayernorm.kernels.BatchLayout;
import io.github.sparklayernorm.kernels.LayerNormEngine;
import io.github.sparklayernorm.kernels.LayerNormSpec;
import io.github.sparklayernorm.kernels.Backend;
import io.github.sparklayernorm.kernels.opencl.OpenClFailure;
/**
 * Run in a child JVM whose OpenCL loader finds no driver: prints what each backend does there.
 */
public final class NoOpenClDeviceProbe {

    public static void main(String[] args) {
        try (LayerNormEngine engine = BackendSelector.open(Backend.AUTO, null, KernelShape.AUTO, false, BackendListener.NONE)) {
            double[] out = new double[2];
            engine.normalize(new double[] {1, 3}, out, BatchLayout.uniform(1, 2), LayerNormSpec.of(1e-5));
            System.out.println("auto: " + engine.name() + " " + out[0]);
        }
        try {
            BackendSelector.open(Backend.OPENCL, null, KernelShape.AUTO, false, BackendListener.NONE);
            System.out.println("opencl: opened");
        } catch (OpenClFailure e) {
            System.out.println("opencl: " + e.stage() + ": " + e.getMessage());
        }
    }

    private NoOpenClDeviceProbe() {
    }
}
