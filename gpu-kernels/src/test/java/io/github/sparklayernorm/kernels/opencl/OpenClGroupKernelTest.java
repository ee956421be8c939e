package io.github.sparklayernorm.kernels.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.sparklayernorm.kernels.KernelShape;
import io.github.sparklayernorm.kernels.LayerNormEngine;
import org.junit.jupiter.api.Test;

/**
 * The whole engine contract, and equivalence with the Java engine, with the kernel in the group
 * shape (one work-group per row, reductions in local memory), on a real OpenCL device: every test
 * of {@link OpenClLayerNormTest}, whatever shape the device would take by itself.
 */
@RequiresOpenClDevice
class OpenClGroupKernelTest extends OpenClLayerNormTest {

    @Override
    protected LayerNormEngine createEngine() {
        OpenClLayerNorm engine = new OpenClLayerNorm(OpenClTestSupport.requireDevice());
        engine.use(KernelShape.GROUP);
        return engine;
    }

    @Test
    void runsInTheGroupShape() {
        assertEquals(KernelShape.GROUP, ((OpenClLayerNorm) engine()).shape());
    }

    @Test
    void autoTakesTheGroupShapeOnlyOnAGpu() {
        OpenClLayerNorm engine = (OpenClLayerNorm) engine();
        engine.use(KernelShape.AUTO);
        boolean gpu = OpenClTestSupport.requireDevice().getType() == com.aparapi.device.Device.TYPE.GPU;
        assertEquals(gpu ? KernelShape.GROUP : KernelShape.ROW, engine.shape());
        engine.use(KernelShape.GROUP);
    }
}
