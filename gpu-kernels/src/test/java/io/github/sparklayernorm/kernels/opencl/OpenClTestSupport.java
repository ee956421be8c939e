package io.github.sparklayernorm.kernels.opencl;

import static org.junit.jupiter.api.Assertions.fail;

import com.aparapi.device.OpenCLDevice;

/**
 * The OpenCL device the tests run on, for tests marked {@link RequiresOpenClDevice}: those are
 * skipped without a device, so reaching here without one means {@code CI=true}, where it fails.
 */
public final class OpenClTestSupport {

    public static OpenCLDevice requireDevice() {
        if (OpenClDeviceCondition.devices().isEmpty()) {
            fail(OpenClDeviceCondition.noDeviceReason());
        }
        return OpenClDeviceCondition.devices().get(0);
    }

    /**
     * How many GPUs OpenCL lists, as {@code clinfo} counts them: a look at the machine independent of
     * the engine's own (Aparapi's) listing, for tests whose expectation depends on it. Where clinfo
     * is missing, the test is skipped unless OpenCL does not load at all (then there is no GPU).
     */
    public static int gpusByClinfo() {
        try {
            Process clinfo = new ProcessBuilder("clinfo", "--raw").redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String raw = new String(clinfo.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            if (clinfo.waitFor() != 0) {
                return 0; // clinfo runs but OpenCL does not: no platform, no GPU
            }
            return (int) raw.lines().filter(l -> l.matches("^\\[[^]]*/[0-9]+\\]\\s+CL_DEVICE_TYPE\\s.*GPU.*")).count();
        } catch (java.io.IOException e) {
            org.junit.jupiter.api.Assumptions.assumeFalse(OpenClDevices.libraryAvailable(),
                    "clinfo is not installed here: nothing independent to count GPUs with");
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private OpenClTestSupport() {
    }

    /**
     * What an executor's JVM does between batches, so that the collector moves the arrays an engine
     * keeps: allocates well past the young generation (young collections run), keeps a little alive
     * in {@code kept}, then runs a full collection.
     */
    static void collectBetweenBatches(java.util.List<byte[]> kept) {
        for (int i = 0; i < 4096; i++) {
            byte[] chunk = new byte[32 << 10];
            chunk[i % chunk.length] = (byte) i;
            if (i % 512 == 0) {
                kept.add(chunk);
            }
        }
        if (kept.size() > 64) {
            kept.subList(0, 32).clear();
        }
        System.gc();
    }
}
