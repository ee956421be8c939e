package io.github.sparklayernorm.kernels.opencl;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import com.aparapi.Range;
import com.aparapi.device.OpenCLDevice;
import io.github.sparklayernorm.kernels.BatchLayout;
import io.github.sparklayernorm.kernels.KernelShape;
import io.github.sparklayernorm.kernels.LayerNormSpec;
import io.github.sparklayernorm.kernels.java.JavaLayerNorm;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * The GPU check ({@code bin/gpu-check}, or {@code run} in a bundle): on the first GPU OpenCL lists
 * (else the first device), runs the engine contract for both kernel shapes, then measures, for each
 * shape, row length and element type:
 *
 * <ul>
 *   <li>kernel-only GB/s (bytes read plus written, as Aparapi times the kernel) against a device
 *       kernel that copies the same bytes;</li>
 *   <li>end-to-end GB/s (transfers to and from the device included) against a host-device-host
 *       round trip of the same bytes;</li>
 *   <li>the Java engine on all the machine's cores;</li>
 *   <li>where {@code python3} with torch and a CUDA device is, PyTorch's {@code layer_norm} on the
 *       same rows (kernel only, CUDA events), and how far its outputs are from ours.</li>
 * </ul>
 *
 * <p>Writes {@code report.md} and {@code report.json} into {@code --out} (default
 * {@code target/gpu-check}). {@code --quick}: two row lengths and fewer values (under a minute on
 * PoCL). Exit status 0 when the contract passed on both shapes, 1 when it did not, 2 without a device.
 */
public final class GpuCheck {

    private static final double EPSILON = 1e-5;

    private final Map<String, Object> json = new LinkedHashMap<>();
    private final StringBuilder markdown = new StringBuilder();

    public static void main(String[] args) throws Exception {
        boolean quick = false;
        Path out = Paths.get("target", "gpu-check");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick":
                    quick = true;
                    break;
                case "--out":
                    if (i + 1 == args.length) {
                        throw new IllegalArgumentException("--out needs a folder");
                    }
                    out = Paths.get(args[++i]);
                    break;
                default:
                    System.err.println("usage: gpu-check [--quick] [--out DIR]");
                    System.exit(64);
            }
        }
        System.exit(new GpuCheck().run(quick, out));
    }

    private int run(boolean quick, Path out) throws IOException, InterruptedException {
        Files.createDirectories(out);
        markdown.append("# spark-layernorm GPU check\n\n");
        json.put("quick", quick);
        json.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        json.put("javaEngine", new JavaLayerNorm().instructionSet());
        json.put("cores", Runtime.getRuntime().availableProcessors());
        List<OpenCLDevice> devices = OpenClDevices.all();
        List<String> listed = new ArrayList<>();
        markdown.append("## Devices\n\n");
        for (OpenCLDevice device : devices) {
            String line = OpenClDevices.describe(device) + ", max work-group " + device.getMaxWorkGroupSize()
                    + ", global memory " + (device.getGlobalMemSize() >> 20) + " MB";
            listed.add(line);
            markdown.append("- ").append(line).append('\n');
        }
        json.put("devices", listed);
        if (devices.isEmpty()) {
            String why = "no OpenCL device: " + OpenClDevices.inventory();
            markdown.append("- ").append(why).append('\n');
            json.put("error", why);
            write(out);
            System.err.println("gpu-check: " + why);
            return 2;
        }
        OpenCLDevice device = devices.get(0);
        json.put("device", OpenClDevices.describe(device));
        markdown.append("\nChecked and measured on: ").append(OpenClDevices.describe(device)).append("\n\n");

        boolean contractPassed = contract();
        measure(device, quick, out);
        write(out);
        System.out.println(markdown);
        System.out.println("gpu-check: wrote " + out.resolve("report.md") + " and " + out.resolve("report.json"));
        return contractPassed ? 0 : 1;
    }

    /** The engine contract for both shapes, on the device the tests pick (the same: GPUs first). */
    private boolean contract() {
        markdown.append("## The engine contract\n\n| kernel | tests | passed | failed | first failure |\n| --- | --- | --- | --- | --- |\n");
        Map<String, Object> results = new LinkedHashMap<>();
        boolean passed = true;
        Launcher launcher = LauncherFactory.create();
        // The executor's life (pooled engines, the collector moving their arrays between batches): on
        // a discrete GPU a device buffer that no one wrote reads garbage, so its outcome is shown alone.
        Map<String, String> executorLife = new LinkedHashMap<>();
        TestExecutionListener lifeListener = new TestExecutionListener() {
            @Override
            public void executionFinished(TestIdentifier test, TestExecutionResult result) {
                if (test.isTest() && test.getDisplayName().startsWith("anExecutorsLife")) {
                    executorLife.put("result", result.getStatus() == TestExecutionResult.Status.SUCCESSFUL ? "passed"
                            : "failed: " + result.getThrowable().map(String::valueOf).orElse(result.getStatus().name()));
                }
            }
        };
        for (Class<?> tests : new Class<?>[] {OpenClLayerNormTest.class, OpenClGroupKernelTest.class}) {
            String shape = tests == OpenClGroupKernelTest.class ? "group" : "row";
            SummaryGeneratingListener listener = new SummaryGeneratingListener();
            launcher.execute(LauncherDiscoveryRequestBuilder.request().selectors(selectClass(tests)).build(), listener,
                    lifeListener);
            TestExecutionSummary summary = listener.getSummary();
            String firstFailure = summary.getFailures().isEmpty() ? ""
                    : summary.getFailures().get(0).getTestIdentifier().getDisplayName() + ": "
                    + summary.getFailures().get(0).getException();
            long failed = summary.getTestsFailedCount() + summary.getTestsAbortedCount()
                    + summary.getContainersFailedCount();
            passed &= failed == 0 && summary.getTestsSucceededCount() > 0;
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("tests", summary.getTestsFoundCount());
            result.put("passed", summary.getTestsSucceededCount());
            result.put("failed", failed);
            result.put("firstFailure", firstFailure);
            results.put(shape, result);
            markdown.append(String.format(Locale.ROOT, "| %s | %d | %d | %d | %s |%n", shape, summary.getTestsFoundCount(),
                    summary.getTestsSucceededCount(), failed, firstFailure.replace('|', '/').replace('\n', ' ')));
        }
        json.put("contract", results);
        String life = executorLife.getOrDefault("result", "not run");
        json.put("executorLife", life);
        markdown.append("\nAn executor's life (engines reused, the collector moving their arrays between batches,"
                + " every batch with the Java engine's bits): ").append(life).append('\n');
        markdown.append('\n');
        return passed && life.equals("passed");
    }

    private void measure(OpenCLDevice device, boolean quick, Path out) throws IOException, InterruptedException {
        int[] lengths = quick ? new int[] {256, 4096} : new int[] {64, 256, 1024, 4096, 16384};
        long values = quick ? 1 << 20 : 1 << 24;
        int repeats = quick ? 3 : 10;
        List<Map<String, Object>> rows = new ArrayList<>();
        markdown.append("## Throughput\n\nGB/s of bytes read plus written; best of ").append(repeats)
                .append(" runs. Kernel only: against a device kernel copying the same bytes. End to end")
                .append(" (transfers included): against a host-device-host round trip of the same bytes.\n\n")
                .append("Bits equal to the Java engine: every value of the batch compared bit for bit with the Java")
                .append(" engine's (docs/arithmetic.md); on a GPU, the first column to read.\n\n")
                .append("| type | d | rows | kernel | bits equal to the Java engine | kernel GB/s | device copy GB/s | x copy")
                .append(" | end-to-end GB/s | round trip GB/s | x round trip | Java, all cores GB/s |\n")
                .append("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
        OpenClLayerNorm engine = new OpenClLayerNorm(device);
        DeviceCopyKernel copy = new DeviceCopyKernel();
        copy.setExplicit(true);
        Path torchDir = out.resolve("torch-cases");
        Files.createDirectories(torchDir);
        try {
            for (String type : new String[] {"float", "double"}) {
                for (int d : lengths) {
                    int n = (int) Math.max(d, values / d * d);
                    int count = n / d;
                    Batch batch = new Batch(type, count, d);
                    double bytes = 2.0 * n * (type.equals("float") ? Float.BYTES : Double.BYTES);
                    double copyMs = deviceCopyMillis(device, copy, batch, repeats);
                    double roundTripMs = roundTripMillis(copy, batch, repeats);
                    double javaMs = javaAllCoresMillis(batch, repeats);
                    for (KernelShape shape : new KernelShape[] {KernelShape.ROW, KernelShape.GROUP}) {
                        engine.use(shape);
                        double[] times = engineMillis(engine, batch, repeats);
                        long differing = batch.valuesDifferingFromJava();
                        Map<String, Object> row = new LinkedHashMap<>();
                        row.put("type", type);
                        row.put("d", d);
                        row.put("rows", count);
                        row.put("kernel", shape.word());
                        row.put("kernelGBs", gbps(bytes, times[0]));
                        row.put("deviceCopyGBs", gbps(bytes, copyMs));
                        row.put("endToEndGBs", gbps(bytes, times[1]));
                        row.put("roundTripGBs", gbps(bytes, roundTripMs));
                        row.put("javaAllCoresGBs", gbps(bytes, javaMs));
                        row.put("bitsEqualToJava", differing == 0);
                        row.put("valuesDifferingFromJava", differing);
                        rows.add(row);
                        markdown.append(String.format(Locale.ROOT,
                                "| %s | %d | %d | %s | %s | %.2f | %.2f | %.2fx | %.2f | %.2f | %.2fx | %.2f |%n", type, d,
                                count, shape.word(), differing == 0 ? "yes" : "NO: " + differing + " of " + n + " differ",
                                gbps(bytes, times[0]), gbps(bytes, copyMs), copyMs / times[0],
                                gbps(bytes, times[1]), gbps(bytes, roundTripMs), roundTripMs / times[1], gbps(bytes, javaMs)));
                        if (shape == KernelShape.GROUP) {
                            batch.writeTorchCase(torchDir, 4 << 20);
                        }
                    }
                }
            }
        } finally {
            engine.close();
            synchronized (OpenClDevices.NATIVE) {
                copy.dispose();
            }
        }
        json.put("throughput", rows);
        torch(torchDir);
    }

    private static double gbps(double bytes, double millis) {
        return millis > 0 ? bytes / (millis * 1e-3) / 1e9 : Double.NaN;
    }

    /** [kernel-only ms, end-to-end ms], each the best of {@code repeats} runs after a warm-up. */
    private static double[] engineMillis(OpenClLayerNorm engine, Batch batch, int repeats) {
        batch.normalizeOn(engine);
        double kernel = Double.MAX_VALUE;
        double total = Double.MAX_VALUE;
        for (int i = 0; i < repeats; i++) {
            long start = System.nanoTime();
            batch.normalizeOn(engine);
            total = Math.min(total, (System.nanoTime() - start) / 1e6);
            kernel = Math.min(kernel, engine.lastKernelMillis());
        }
        return new double[] {kernel, total};
    }

    private static double deviceCopyMillis(OpenCLDevice device, DeviceCopyKernel copy, Batch batch, int repeats) {
        synchronized (OpenClDevices.NATIVE) {
            bind(copy, batch);
            put(copy, batch);
            Range range = device.createRange(roundUp(batch.n, 256), Math.min(256, device.getMaxWorkGroupSize()));
            copy.execute(range);
            double best = Double.MAX_VALUE;
            for (int i = 0; i < repeats; i++) {
                copy.execute(range);
                best = Math.min(best, copy.getExecutionTime());
            }
            return best;
        }
    }

    private static double roundTripMillis(DeviceCopyKernel copy, Batch batch, int repeats) {
        synchronized (OpenClDevices.NATIVE) {
            double best = Double.MAX_VALUE;
            for (int i = 0; i < repeats; i++) {
                long start = System.nanoTime();
                put(copy, batch);
                get(copy, batch);
                best = Math.min(best, (System.nanoTime() - start) / 1e6);
            }
            return best;
        }
    }

    private static double javaAllCoresMillis(Batch batch, int repeats) {
        int threads = Runtime.getRuntime().availableProcessors();
        int chunk = Math.max(1, (batch.count + threads - 1) / threads);
        Runnable all = () -> IntStream.range(0, threads).parallel().forEach(t -> {
            int from = t * chunk;
            int to = Math.min(batch.count, from + chunk);
            if (from < to) {
                batch.normalizeJava(from, to);
            }
        });
        all.run();
        double best = Double.MAX_VALUE;
        for (int i = 0; i < repeats; i++) {
            long start = System.nanoTime();
            all.run();
            best = Math.min(best, (System.nanoTime() - start) / 1e6);
        }
        return best;
    }

    private static int roundUp(int n, int multiple) {
        return (n + multiple - 1) / multiple * multiple;
    }

    /** PyTorch's layer_norm on the cases written, when python3 with torch and CUDA is here. */
    private void torch(Path cases) throws IOException, InterruptedException {
        Path script = cases.resolve("torch_layer_norm.py");
        try (InputStream in = GpuCheck.class.getResourceAsStream("/gpu-check/torch_layer_norm.py")) {
            Files.write(script, in.readAllBytes());
        }
        String python = System.getenv().getOrDefault("GPU_CHECK_PYTHON", "python3");
        List<String> lines = new ArrayList<>();
        String outcome;
        try {
            Process process = new ProcessBuilder(python, script.toString(), cases.toString()).redirectErrorStream(true).start();
            byte[] output = process.getInputStream().readAllBytes();
            boolean done = process.waitFor(600, TimeUnit.SECONDS);
            for (String line : new String(output, StandardCharsets.UTF_8).split("\n")) {
                if (line.startsWith("{")) {
                    lines.add(line);
                }
            }
            outcome = done && process.exitValue() == 0 ? "ran" : "failed: " + new String(output, StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            outcome = "no " + python + ": " + e.getMessage();
        }
        markdown.append("\n## PyTorch\n\n");
        json.put("torch", lines.isEmpty() ? outcome : lines);
        if (lines.isEmpty() || lines.get(0).contains("\"skipped\"")) {
            markdown.append(lines.isEmpty() ? outcome : lines.get(0)).append('\n');
            return;
        }
        markdown.append("`torch.nn.functional.layer_norm` on the same rows (kernel only, CUDA events), and the largest")
                .append(" difference of its outputs from ours (relative to max(1, |ours|)); one JSON object per case:\n\n");
        for (String line : lines) {
            markdown.append("- `").append(line).append("`\n");
        }
    }

    private void write(Path out) throws IOException {
        Files.writeString(out.resolve("report.md"), markdown.toString());
        Files.writeString(out.resolve("report.json"), Json.of(json) + "\n");
    }

    /** One measured case: rows of values around 100 with unit spread, in float or double. */
    private static final class Batch {
        final String type;
        final int count;
        final int d;
        final int n;
        final float[] inF;
        final float[] outF;
        final double[] inD;
        final double[] outD;
        /** The Java engine's output, each thread writing its own rows. */
        final float[] javaF;
        final double[] javaD;
        final BatchLayout layout;
        final LayerNormSpec spec = LayerNormSpec.of(EPSILON);
        private final JavaLayerNorm java = new JavaLayerNorm();

        Batch(String type, int count, int d) {
            this.type = type;
            this.count = count;
            this.d = d;
            this.n = count * d;
            boolean floats = type.equals("float");
            inF = floats ? new float[n] : null;
            outF = floats ? new float[n] : null;
            inD = floats ? null : new double[n];
            outD = floats ? null : new double[n];
            javaF = floats ? new float[n] : null;
            javaD = floats ? null : new double[n];
            SplittableRandom random = new SplittableRandom(d);
            for (int i = 0; i < n; i++) {
                double v = 100 + (random.nextDouble() - 0.5) * 3.5;
                if (floats) {
                    inF[i] = (float) v;
                } else {
                    inD[i] = v;
                }
            }
            layout = BatchLayout.uniform(count, d);
        }

        void normalizeOn(OpenClLayerNorm engine) {
            if (inF != null) {
                engine.normalize(inF, outF, layout, spec);
            } else {
                engine.normalize(inD, outD, layout, spec);
            }
        }

        void normalizeJava(int fromRow, int toRow) {
            BatchLayout rows = BatchLayout.ofOffsets(IntStream.rangeClosed(fromRow, toRow).map(r -> r * d).toArray(),
                    toRow - fromRow);
            if (inF != null) {
                java.normalize(inF, javaF, rows, spec);
            } else {
                java.normalize(inD, javaD, rows, spec);
            }
        }

        /** The largest difference of the device's output (the latest run) from the Java engine's, over 64 rows. */
        /** Values of the whole batch whose bits differ from the Java engine's (docs/arithmetic.md). */
        long valuesDifferingFromJava() {
            BatchLayout all = BatchLayout.uniform(count, d);
            long differing = 0;
            if (inF != null) {
                float[] expected = new float[count * d];
                java.normalize(inF, expected, all, spec);
                for (int i = 0; i < expected.length; i++) {
                    differing += Float.floatToIntBits(outF[i]) == Float.floatToIntBits(expected[i]) ? 0 : 1;
                }
            } else {
                double[] expected = new double[count * d];
                java.normalize(inD, expected, all, spec);
                for (int i = 0; i < expected.length; i++) {
                    differing += Double.doubleToLongBits(outD[i]) == Double.doubleToLongBits(expected[i]) ? 0 : 1;
                }
            }
            return differing;
        }

        /** Inputs and our outputs of the first rows (at most {@code maxValues} values), as .npy, for PyTorch. */
        void writeTorchCase(Path dir, int maxValues) throws IOException {
            int rows = Math.max(1, Math.min(count, maxValues / d));
            String name = type + "_" + d;
            Npy.write(dir.resolve(name + "_in.npy"), inF != null ? inF : inD, rows, d);
            Npy.write(dir.resolve(name + "_ours.npy"), outF != null ? outF : outD, rows, d);
        }
    }

    /** The batch's arrays as the copy kernel's buffers. */
    private static void bind(DeviceCopyKernel copy, Batch batch) {
        copy.n = batch.n;
        if (batch.inF != null) {
            copy.useFloat = 1;
            copy.inF = batch.inF;
            copy.outF = new float[batch.n];
        } else {
            copy.useFloat = 0;
            copy.inD = batch.inD;
            copy.outD = new double[batch.n];
        }
    }

    /** Aparapi's put and get are overloaded per array type. */
    private static void put(DeviceCopyKernel copy, Batch batch) {
        if (batch.inF != null) {
            copy.put(copy.inF);
        } else {
            copy.put(copy.inD);
        }
    }

    private static void get(DeviceCopyKernel copy, Batch batch) {
        if (batch.inF != null) {
            copy.get(copy.outF);
        } else {
            copy.get(copy.outD);
        }
    }

    /** A minimal .npy writer (version 1.0, little-endian, C order). */
    static final class Npy {
        static void write(Path path, Object values, int rows, int d) throws IOException {
            boolean floats = values instanceof float[];
            String header = "{'descr': '<" + (floats ? "f4" : "f8") + "', 'fortran_order': False, 'shape': (" + rows + ", "
                    + d + "), }";
            int unpadded = 10 + header.length() + 1;
            int padded = (unpadded + 63) / 64 * 64;
            StringBuilder text = new StringBuilder(header);
            while (10 + text.length() + 1 < padded) {
                text.append(' ');
            }
            text.append('\n');
            ByteBuffer head = ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN);
            head.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0)
                    .putShort((short) text.length());
            int n = rows * d;
            ByteBuffer body = ByteBuffer.allocate(n * (floats ? 4 : 8)).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n; i++) {
                if (floats) {
                    body.putFloat(((float[]) values)[i]);
                } else {
                    body.putDouble(((double[]) values)[i]);
                }
            }
            try (OutputStream out = Files.newOutputStream(path)) {
                out.write(head.array());
                out.write(text.toString().getBytes(StandardCharsets.US_ASCII));
                out.write(body.array());
            }
        }
    }

    /** Just enough JSON for the report: maps, lists, strings, numbers and booleans. */
    static final class Json {
        static String of(Object value) {
            if (value instanceof Map) {
                StringBuilder s = new StringBuilder("{");
                for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
                    s.append(s.length() > 1 ? ", " : "").append(of(String.valueOf(e.getKey()))).append(": ").append(of(e.getValue()));
                }
                return s.append('}').toString();
            }
            if (value instanceof List) {
                StringBuilder s = new StringBuilder("[");
                for (Object item : (List<?>) value) {
                    s.append(s.length() > 1 ? ", " : "").append(item instanceof String && ((String) item).startsWith("{")
                            ? (String) item : of(item));
                }
                return s.append(']').toString();
            }
            if (value instanceof Number) {
                double v = ((Number) value).doubleValue();
                return Double.isFinite(v) ? value.toString() : "null";
            }
            if (value instanceof Boolean) {
                return value.toString();
            }
            String text = String.valueOf(value);
            StringBuilder s = new StringBuilder("\"");
            for (char c : text.toCharArray()) {
                if (c == '"' || c == '\\') {
                    s.append('\\').append(c);
                } else if (c < 0x20) {
                    s.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                } else {
                    s.append(c);
                }
            }
            return s.append('"').toString();
        }
    }

    private GpuCheck() {
    }
}
