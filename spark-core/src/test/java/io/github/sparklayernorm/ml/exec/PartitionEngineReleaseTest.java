package io.github.sparklayernorm.ml.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.sparklayernorm.kernels.Backend;
import io.github.sparklayernorm.kernels.KernelShape;
import io.github.sparklayernorm.kernels.opencl.OpenClEnginePool;
import io.github.sparklayernorm.kernels.opencl.OpenClLayerNorm;
import io.github.sparklayernorm.kernels.opencl.OpenClTestSupport;
import io.github.sparklayernorm.kernels.opencl.RequiresOpenClDevice;
import io.github.sparklayernorm.kernels.routing.BackendListener;
import io.github.sparklayernorm.kernels.routing.BackendSelector;
import io.github.sparklayernorm.kernels.routing.RoutedLayerNorm;
import java.util.Collections;
import org.apache.spark.sql.catalyst.InternalRow;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A task whose batch iterator cannot be built gives its device context back at once. */
@RequiresOpenClDevice
class PartitionEngineReleaseTest {

    @AfterEach
    void clearSwitches() {
        System.clearProperty(OpenClEnginePool.MAX_CONTEXTS);
        System.clearProperty(OpenClEnginePool.CONTEXT_WAIT_SECONDS);
    }

    @Test
    void aFailedIteratorLeaksNoContext() {
        OpenClTestSupport.requireDevice();
        System.setProperty(OpenClEnginePool.MAX_CONTEXTS, "1");
        // A context still counted as taken would make the next open wait this second, then use Java.
        System.setProperty(OpenClEnginePool.CONTEXT_WAIT_SECONDS, "1");
        // No plan: the iterator's constructor throws after the engine was borrowed.
        PartitionNormalizer broken = new PartitionNormalizer("stage", null, HandleInvalid.ERROR, Backend.OPENCL,
                KernelShape.AUTO, false, 16, null);
        for (int i = 0; i < 3; i++) {
            assertThrows(NullPointerException.class,
                    () -> broken.apply(Collections.<InternalRow>emptyIterator()));
        }
        try (RoutedLayerNorm engine = BackendSelector.open(Backend.OPENCL, null, KernelShape.AUTO, false,
                BackendListener.NONE)) {
            assertEquals(OpenClLayerNorm.NAME, engine.name(), "the device's one context was free");
        }
    }
}
