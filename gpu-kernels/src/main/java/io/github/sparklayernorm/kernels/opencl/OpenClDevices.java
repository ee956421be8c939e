package io.github.sparklayernorm.kernels.opencl;

import io.github.sparklayernorm.kernels.EngineSetting;
import com.aparapi.Config;
import com.aparapi.device.Device;
import com.aparapi.device.OpenCLDevice;
import com.aparapi.internal.opencl.OpenCLLoader;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * What OpenCL devices this JVM sees, in a fixed order: GPUs first, then accelerators, then CPUs,
 * each in Aparapi's platform-then-device order. GPU number {@code N} (Spark's GPU address "N") is
 * the N-th entry of {@link #gpus()}.
 */
public final class OpenClDevices {

    private OpenClDevices() {
    }

    /**
     * The lock every call into Aparapi's native side takes. It is not safe from several threads at
     * once: listing platforms from two Spark tasks crashed the JVM in libc, and with two tasks
     * running kernels concurrently on PoCL the JVM's heap was corrupted now and then (a crash in an
     * unrelated class cast, in about one run in eight of the backends notebook). A device runs one
     * kernel at a time anyway; copies in and out of the batches stay parallel.
     */
    static final Object NATIVE = new Object();

    /**
     * Whether the OpenCL library and Aparapi's native library load.
     *
     * <p>Aparapi logs a SEVERE line when they do not, which on an executor without OpenCL (the
     * common case under {@code auto}) is no error at all: its logger is silenced while it tries, and
     * the caller reports the outcome in its own words ({@link #inventory()}).
     */
    public static synchronized boolean libraryAvailable() {
        if (library == null) {
            library = quietly(() -> {
                try {
                    return OpenCLLoader.isOpenCLAvailable();
                } catch (Throwable e) {
                    return false;
                }
            });
        }
        return library;
    }

    private static Boolean library;

    private static <T> T quietly(Supplier<T> call) {
        // Config's own static set-up sets its logger's level: let it run first, then override.
        Logger aparapi = Logger.getLogger(Config.getLoggerName());
        Level level = aparapi.getLevel();
        aparapi.setLevel(Level.OFF);
        try {
            return call.get();
        } finally {
            aparapi.setLevel(level);
        }
    }

    /**
     * Test only: the setting ({@link EngineSetting}; on executors the environment variable
     * {@code SPARKLAYERNORM_TEST_DEVICES_AS_GPUS}) that, set to {@code true}, makes every OpenCL
     * device count as a GPU (in {@link #all()}'s order), so that Spark's GPU scheduling can be
     * tested end to end where PoCL's CPU device is the only one. {@code bin/discover-gpus} lists the
     * same devices under the same environment variable. Never set it in production: a CPU device
     * would then take Spark's GPU slots.
     */
    public static final String TEST_DEVICES_AS_GPUS = "sparklayernorm.test.devicesAsGpus";

    /** The GPUs OpenCL lists, in its platform-then-device order: Spark's address N is the N-th. */
    public static List<OpenCLDevice> gpus() {
        return EngineSetting.flag(TEST_DEVICES_AS_GPUS) ? all() : list(Device.TYPE.GPU);
    }

    /** Every device: GPUs, accelerators, CPUs. */
    public static List<OpenCLDevice> all() {
        List<OpenCLDevice> all = new ArrayList<>(list(Device.TYPE.GPU));
        all.addAll(list(Device.TYPE.ACC));
        all.addAll(list(Device.TYPE.CPU));
        return all;
    }

    /**
     * Listed once per JVM and type, under a lock: Aparapi's native platform query is not
     * thread-safe (two Spark tasks listing at once crashed the JVM in libc), and the devices of a
     * machine do not change while it runs.
     */
    private static synchronized List<OpenCLDevice> list(Device.TYPE type) {
        return LISTED.computeIfAbsent(type, t -> {
            if (!libraryAvailable()) {
                return Collections.emptyList();
            }
            try {
                List<OpenCLDevice> devices;
                synchronized (NATIVE) {
                    devices = OpenCLDevice.listDevices(t);
                }
                return devices == null ? Collections.emptyList() : Collections.unmodifiableList(devices);
            } catch (RuntimeException | UnsatisfiedLinkError e) {
                return Collections.emptyList();
            }
        });
    }

    private static final Map<Device.TYPE, List<OpenCLDevice>> LISTED = new EnumMap<>(Device.TYPE.class);

    /** "NVIDIA H100 (GPU, NVIDIA CUDA)": how logs and metrics name a device. */
    public static String describe(OpenCLDevice device) {
        String platform = device.getOpenCLPlatform() == null ? "?" : device.getOpenCLPlatform().getName();
        return device.getName().trim() + " (" + device.getType() + ", " + platform.trim() + ")";
    }

    /** A one-line inventory for error messages. */
    public static String inventory() {
        if (!libraryAvailable()) {
            return "no OpenCL library (install an OpenCL driver and ocl-icd-libopencl1, so that libOpenCL.so.1 loads)";
        }
        List<OpenCLDevice> all = all();
        if (all.isEmpty()) {
            return "the OpenCL library loads but lists no device (is an ICD such as the GPU driver or PoCL installed?)";
        }
        List<String> names = new ArrayList<>();
        for (OpenCLDevice d : all) {
            names.add(describe(d));
        }
        return "devices " + names;
    }

    /**
     * The device for a Spark GPU address ("0", "1", ...): the N-th GPU OpenCL lists.
     *
     * @throws OpenClFailure if there is no such GPU
     */
    public static OpenCLDevice gpuForAddress(String address) {
        List<OpenCLDevice> gpus = gpus();
        int index;
        try {
            index = Integer.parseInt(address.trim());
        } catch (NumberFormatException e) {
            throw new OpenClFailure(OpenClFailure.Stage.DEVICE, "GPU address '" + address
                    + "' is not a number; the discovery script must list GPUs as 0, 1, ... in OpenCL's order");
        }
        if (index < 0 || index >= gpus.size()) {
            throw new OpenClFailure(OpenClFailure.Stage.DEVICE, "Spark assigned GPU '" + address + "' but OpenCL lists "
                    + gpus.size() + " GPU(s); found " + inventory());
        }
        return gpus.get(index);
    }
}
