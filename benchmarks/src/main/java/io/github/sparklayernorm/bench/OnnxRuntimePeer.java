package io.github.sparklayernorm.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.github.sparklayernorm.kernels.BatchLayout;
import io.github.sparklayernorm.kernels.LayerNormSpec;
import java.io.ByteArrayOutputStream;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.Map;

/**
 * The peer: ONNX Runtime's CPU kernel for ONNX {@code LayerNormalization} (opset 17; with
 * {@code norm=rms}, {@code RMSNormalization}, opset 23) over the same rows as the engine, batch by
 * batch ({@code engine=onnxruntime}). Not an engine of the library, and not exact: it accumulates
 * floats in float.
 *
 * <p>Measured at its best, as a JVM user who keeps data in native memory would run it: one thread
 * (intra- and inter-op), all graph optimizations, the input copied once at set-up into direct
 * buffers that the batches' tensors wrap without a copy, and each batch's output written into a
 * tensor bound to a direct buffer made at set-up (pinned outputs), so that a run allocates no
 * tensor. What is timed is {@code OrtSession.run} per batch: the JNI call and the kernel.
 */
final class OnnxRuntimePeer implements AutoCloseable {

    private final OrtEnvironment environment = OrtEnvironment.getEnvironment();
    private final OrtSession session;
    private final OnnxTensor[] inputs;
    private final OnnxTensor[] outputs;
    private final Buffer output;

    OnnxRuntimePeer(KernelData data, int d, LayerNormSpec spec) {
        boolean isFloat = data.floatIn != null;
        try {
            OrtSession.SessionOptions options = new OrtSession.SessionOptions();
            options.setIntraOpNumThreads(1);
            options.setInterOpNumThreads(1);
            options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            session = environment.createSession(model(d, isFloat, spec), options);
            int n = isFloat ? data.floatIn.length : data.doubleIn.length;
            ByteBuffer in = ByteBuffer.allocateDirect(n * (isFloat ? Float.BYTES : Double.BYTES)).order(ByteOrder.nativeOrder());
            ByteBuffer out = ByteBuffer.allocateDirect(in.capacity()).order(ByteOrder.nativeOrder());
            if (isFloat) {
                in.asFloatBuffer().put(data.floatIn);
                output = out.asFloatBuffer();
            } else {
                in.asDoubleBuffer().put(data.doubleIn);
                output = out.asDoubleBuffer();
            }
            inputs = new OnnxTensor[data.batches.length];
            outputs = new OnnxTensor[data.batches.length];
            for (int b = 0; b < data.batches.length; b++) {
                BatchLayout batch = data.batches[b];
                long[] shape = {batch.rowCount(), d};
                int from = batch.start(0);
                int to = batch.end();
                if (isFloat) {
                    inputs[b] = OnnxTensor.createTensor(environment, in.asFloatBuffer().position(from).limit(to).slice(), shape);
                    outputs[b] = OnnxTensor.createTensor(environment, out.asFloatBuffer().position(from).limit(to).slice(), shape);
                } else {
                    inputs[b] = OnnxTensor.createTensor(environment, in.asDoubleBuffer().position(from).limit(to).slice(), shape);
                    outputs[b] = OnnxTensor.createTensor(environment, out.asDoubleBuffer().position(from).limit(to).slice(), shape);
                }
            }
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime: " + e.getMessage(), e);
        }
    }

    /** The release of ONNX Runtime's Java binding on the class path. */
    static String version() {
        return OrtEnvironment.getEnvironment().getVersion();
    }

    /** Normalizes every batch, each into its own pinned output. */
    void normalize() {
        try {
            for (int b = 0; b < inputs.length; b++) {
                session.run(Map.of("X", inputs[b]), Map.of("Y", outputs[b])).close();
            }
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime: " + e.getMessage(), e);
        }
    }

    /**
     * The largest difference between the peer's last output and {@code reference}'s, relative to
     * the reference's largest magnitude: a peer that computed something else would be measured
     * for nothing, so the harnesses check it once before timing it.
     */
    double largestDifference(KernelData reference) {
        double largestDifference = 0;
        double largest = 0;
        int n = reference.floatOut != null ? reference.floatOut.length : reference.doubleOut.length;
        for (int i = 0; i < n; i++) {
            double expected = reference.floatOut != null ? reference.floatOut[i] : reference.doubleOut[i];
            double actual = output instanceof FloatBuffer ? ((FloatBuffer) output).get(i) : ((DoubleBuffer) output).get(i);
            largestDifference = Math.max(largestDifference, Math.abs(actual - expected));
            largest = Math.max(largest, Math.abs(expected));
        }
        return largestDifference / largest;
    }

    @Override
    public void close() {
        for (int b = 0; b < inputs.length; b++) {
            inputs[b].close();
            outputs[b].close();
        }
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime: " + e.getMessage(), e);
        }
    }

    // The model, written as ONNX's protobuf messages field by field (onnx.proto): one node, scale
    // and shift as initializers, the rows' count left symbolic so that the last, shorter batch runs too.

    private static byte[] model(int d, boolean isFloat, LayerNormSpec spec) {
        boolean rms = !spec.centered();
        int elementType = isFloat ? 1 : 11; // TensorProto.FLOAT, TensorProto.DOUBLE
        Proto node = new Proto().string(1, "X").string(1, "scale");
        if (!rms && spec.shiftOrNull() != null) {
            node.string(1, "shift");
        }
        node.string(2, "Y").string(4, rms ? "RMSNormalization" : "LayerNormalization")
                .message(5, new Proto().string(1, "axis").varint(3, -1).varint(20, 2))
                .message(5, new Proto().string(1, "epsilon").fixed32(2, Float.floatToIntBits((float) spec.epsilon()))
                        .varint(20, 1))
                // The type of the statistics: double for double rows, as the engine keeps them.
                .message(5, new Proto().string(1, "stash_type").varint(3, elementType).varint(20, 2));
        Proto graph = new Proto().message(1, node).string(2, "layernorm")
                .message(5, tensor("scale", elementType, spec.scaleOrNull(), d, isFloat));
        if (!rms && spec.shiftOrNull() != null) {
            graph.message(5, tensor("shift", elementType, spec.shiftOrNull(), d, isFloat));
        }
        graph.message(11, valueInfo("X", elementType, d)).message(12, valueInfo("Y", elementType, d));
        return new Proto().varint(1, 10) // IR version 10 (opset 23's)
                .string(2, "spark-layernorm benchmarks")
                .message(7, graph)
                .message(8, new Proto().string(1, "").varint(2, rms ? 23 : 17))
                .bytes();
    }

    private static Proto tensor(String name, int elementType, double[] values, int d, boolean isFloat) {
        double[] v = values;
        if (v == null) {
            v = new double[d];
            java.util.Arrays.fill(v, 1.0);
        }
        ByteBuffer raw = ByteBuffer.allocate(d * (isFloat ? Float.BYTES : Double.BYTES)).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < d; i++) {
            if (isFloat) {
                raw.putFloat((float) v[i]);
            } else {
                raw.putDouble(v[i]);
            }
        }
        return new Proto().varint(1, d).varint(2, elementType).string(8, name).raw(9, raw.array());
    }

    private static Proto valueInfo(String name, int elementType, int d) {
        Proto shape = new Proto().message(1, new Proto().string(2, "rows")).message(1, new Proto().varint(1, d));
        Proto tensorType = new Proto().varint(1, elementType).message(2, shape);
        return new Proto().string(1, name).message(2, new Proto().message(1, tensorType));
    }

    /** Protobuf's wire format, as far as the model needs it. */
    private static final class Proto {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Proto varint(int field, long value) {
            tag(field, 0);
            writeVarint(value);
            return this;
        }

        Proto fixed32(int field, int value) {
            tag(field, 5);
            for (int i = 0; i < 4; i++) {
                out.write(value >>> (8 * i));
            }
            return this;
        }

        Proto string(int field, String value) {
            return raw(field, value.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }

        Proto message(int field, Proto value) {
            return raw(field, value.bytes());
        }

        Proto raw(int field, byte[] value) {
            tag(field, 2);
            writeVarint(value.length);
            out.write(value, 0, value.length);
            return this;
        }

        byte[] bytes() {
            return out.toByteArray();
        }

        private void tag(int field, int wireType) {
            writeVarint((long) field << 3 | wireType);
        }

        private void writeVarint(long value) {
            long v = value;
            while ((v & ~0x7FL) != 0) {
                out.write((int) (v & 0x7F) | 0x80);
                v >>>= 7;
            }
            out.write((int) v);
        }
    }
}
