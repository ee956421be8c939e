package io.github.sparklayernorm.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading weights from files NumPy wrote (src/test/resources/weights, made by make_fixtures.py). */
class TensorFilesTest {

    private static final double[] VALUES = {-1.0, -0.5, 0.0, 0.25, 0.5, 1.0, 1.5, 2.0};

    @TempDir
    Path dir;

    private static String fixture(String name) {
        return Paths.get("src/test/resources/weights", name).toString();
    }

    private static String failure(String path, String tensor) {
        return assertThrows(IllegalArgumentException.class, () -> TensorFiles.read(path, tensor)).getMessage();
    }

    @Test
    void readsNpyFloat32Float16AndBigEndianFloat64() {
        assertArrayEquals(VALUES, TensorFiles.read(fixture("ln_f32.npy")), 0.0);
        double[] half = TensorFiles.read(fixture("ln_f16.npy"));
        assertArrayEquals(VALUES, Arrays.copyOf(half, 8), 0.0);
        assertEquals(Math.pow(2, -20), half[8], 0.0, "a float16 subnormal");
        assertArrayEquals(VALUES, TensorFiles.read(fixture("ln_f64_big_endian.npy")), 0.0);
    }

    @Test
    void multiDimensionalArraysFlattenRowMajor() {
        assertArrayEquals(VALUES, TensorFiles.read(fixture("ln_2d.npy")), 0.0);
        assertArrayEquals(VALUES, TensorFiles.read(fixture("model.safetensors") + ":ln.bf16"), 0.0);
    }

    @Test
    void readsEverySafetensorsFloatType() {
        for (String tensor : new String[] {"ln.weight", "ln.bias", "ln.bf16", "ln.f64"}) {
            assertArrayEquals(VALUES, TensorFiles.read(fixture("model.safetensors"), tensor), 0.0, tensor);
        }
        assertArrayEquals(VALUES, TensorFiles.read(fixture("single.safetensors")), 0.0, "the only tensor");
    }

    @Test
    void unknownTypesAreRefusedByName() {
        assertTrue(failure(fixture("model.safetensors"), "counts").contains("has dtype I32; weights must be F16, BF16,"
                + " F32 or F64"));
        assertTrue(failure(fixture("ln_int32.npy"), null).contains("dtype '<i4' is not supported"));
    }

    @Test
    void aMissingOrUnnamedTensorListsTheTensorsThere() {
        String missing = failure(fixture("model.safetensors"), "ln.gamma");
        assertTrue(missing.contains("has no tensor 'ln.gamma'") && missing.contains("ln.weight"), missing);
        String unnamed = failure(fixture("model.safetensors"), null);
        assertTrue(unnamed.contains("holds 5 tensors") && unnamed.contains("PATH.safetensors:NAME"), unnamed);
    }

    @Test
    void truncatedFilesAreRefusedNotMisread() throws IOException {
        for (String name : new String[] {"model.safetensors", "ln_f32.npy"}) {
            byte[] bytes = Files.readAllBytes(Paths.get(fixture(name)));
            for (int cut : new int[] {bytes.length - 1, bytes.length / 2, 9, 3}) {
                Path truncated = dir.resolve(cut + "-" + name);
                Files.write(truncated, Arrays.copyOf(bytes, cut));
                String message = failure(truncated.toString(), "ln.f64");
                assertTrue(message.contains("truncated") || message.contains("not a"), cut + " bytes: " + message);
            }
        }
    }

    @Test
    void aShapeThatDoesNotMatchItsDataIsRefused() throws IOException {
        String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}";
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        java.nio.ByteBuffer file = ByteBuffer.allocate(8 + json.length + 8).order(ByteOrder.LITTLE_ENDIAN);
        file.putLong(json.length).put(json).putFloat(1f).putFloat(2f);
        Path path = dir.resolve("bad.safetensors");
        Files.write(path, file.array());
        String message = failure(path.toString(), "w");
        assertTrue(message.contains("has shape [3] of F32 but 8 bytes of data"), message);
    }

    @Test
    void fortranOrderedMatricesAreRefused() {
        assertTrue(failure(fixture("ln_fortran_2d.npy"), null).contains("Fortran-ordered"));
    }

    @Test
    void otherFilesAreRefused() throws IOException {
        Path text = dir.resolve("weights.txt");
        Files.writeString(text, "1,2,3");
        assertTrue(failure(text.toString(), null).contains("neither .safetensors, .safetensors.index.json nor .npy"));
        Path fake = dir.resolve("fake.npy");
        Files.writeString(fake, "this is not numpy at all");
        assertTrue(failure(fake.toString(), null).contains("not a NumPy .npy file"));
    }

    @Test
    void aShardedCheckpointIsReadThroughItsIndex() {
        String index = fixture("sharded/model.safetensors.index.json");
        assertArrayEquals(VALUES, TensorFiles.read(index, "encoder.ln.weight"), 0.0);
        double[] reversed = new double[VALUES.length];
        for (int i = 0; i < VALUES.length; i++) {
            reversed[i] = VALUES[VALUES.length - 1 - i];
        }
        assertArrayEquals(reversed, TensorFiles.read(index + ":encoder.ln.bias"), 0.0, "the job's PATH:NAME form");
        String missing = failure(index, "encoder.ln.gamma");
        assertTrue(missing.contains("maps no tensor 'encoder.ln.gamma'") && missing.contains("encoder.ln.weight"), missing);
        assertTrue(failure(index, null).contains("name the tensor"));
    }

    @Test
    void anIndexMayOnlyPointAtShardsBesideIt() throws IOException {
        Path index = dir.resolve("evil.safetensors.index.json");
        Files.writeString(index, "{\"weight_map\": {\"w\": \"../../etc/secret.safetensors\"}}");
        String message = failure(index.toString(), "w");
        assertTrue(message.contains("not to a .safetensors file beside the index"), message);
    }

    /** 4611686018427387905 * 4 overflows a long to exactly 4: the shape must not read as 4 values. */
    @Test
    void aSafetensorsShapeWhoseProductOverflowsIsRefused() throws IOException {
        Path path = safetensors("overflow.safetensors",
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[4611686018427387905,4],\"data_offsets\":[0,16]}}", 16);
        String message = failure(path.toString(), "w");
        assertTrue(message.contains("overflows"), message);
    }

    @Test
    void negativeOrFractionalSizesAreRefused() throws IOException {
        for (String entry : new String[] {"\"shape\":[-2,-2],\"data_offsets\":[0,16]",
                "\"shape\":[4],\"data_offsets\":[-16,0]", "\"shape\":[4],\"data_offsets\":[0,16.5]",
                "\"shape\":[2.5],\"data_offsets\":[0,16]", "\"shape\":[4],\"data_offsets\":[16,0]"}) {
            Path path = safetensors("bad.safetensors", "{\"w\":{\"dtype\":\"F32\"," + entry + "}}", 16);
            String message = failure(path.toString(), "w");
            assertTrue(message.contains("bad shape") || message.contains("bad data_offsets"), entry + ": " + message);
        }
    }

    /** (-2, -4) multiplies to 8: a reader without a sign check reads 8 values. */
    @Test
    void anNpyShapeWithNegativeDimensionsIsRefused() throws IOException {
        for (String shape : new String[] {"(-2, -4)", "(2, -4)", "(99999999999999999999,)", "(4611686018427387905, 4)",
                "(2.0,)"}) {
            Path path = npy("bad.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }", 32);
            String message = failure(path.toString(), null);
            assertTrue(message.contains("not a tuple of whole numbers") || message.contains("overflows"),
                    shape + ": " + message);
        }
        assertArrayEquals(new double[8], TensorFiles.read(npy("ok.npy",
                "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4), }", 32).toString()), 0.0);
    }

    /**
     * A checkpoint larger than the whole heap (sparse on disk): only the header and the tensor are
     * read, so the tensor at its end comes back.
     */
    @Test
    void aTensorAtTheEndOfAFileLargerThanTheHeapIsRead() throws IOException {
        long padding = Runtime.getRuntime().maxMemory() + (1L << 30);
        String header = "{\"pad\":{\"dtype\":\"U8\",\"shape\":[" + padding + "],\"data_offsets\":[0," + padding
                + "]},\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[" + padding + "," + (padding + 16)
                + "]}}";
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        Path path = dir.resolve("huge.safetensors");
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, json.length), 0);
            channel.write(ByteBuffer.wrap(json), 8);
            ByteBuffer values = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
            values.putFloat(0.5f).putFloat(-1f).putFloat(2f).putFloat(3.25f).flip();
            channel.write(values, 8 + json.length + padding);
        }
        assertTrue(Files.size(path) > Runtime.getRuntime().maxMemory());
        assertArrayEquals(new double[] {0.5, -1, 2, 3.25}, TensorFiles.read(path.toString(), "w"), 0.0);
    }

    /**
     * A wrong tensor name (an embedding matrix) and a tensor over 2 GiB (sparse on disk): refused by
     * name and shape from the header, before any data is read.
     */
    @Test
    void aTensorLargerThanAScaleCanBeIsRefusedByNameAndShapeBeforeItsDataIsRead() throws IOException {
        long[][] shapes = {{50257, 768}, {805306368}};
        for (long[] shape : shapes) {
            long count = Arrays.stream(shape).reduce(1, Math::multiplyExact);
            String dims = Arrays.toString(shape).replace(" ", "");
            String header = "{\"wte.weight\":{\"dtype\":\"F32\",\"shape\":" + dims + ",\"data_offsets\":[0,"
                    + 4 * count + "]}}";
            byte[] json = header.getBytes(StandardCharsets.UTF_8);
            Path path = dir.resolve("embedding" + count + ".safetensors");
            try (FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                channel.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, json.length), 0);
                channel.write(ByteBuffer.wrap(json), 8);
                channel.write(ByteBuffer.allocate(1), 8 + json.length + 4 * count - 1);
            }
            String message = failure(path.toString(), "wte.weight");
            assertTrue(message.startsWith(path.toString()) && message.contains("tensor 'wte.weight' of shape " + dims)
                    && message.contains(count + " values, too many for a scale or shift (at most "
                    + TensorFiles.MAX_VALUES), message);
        }
    }

    private Path safetensors(String name, String header, int dataBytes) throws IOException {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer file = ByteBuffer.allocate(8 + json.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        file.putLong(json.length).put(json);
        Path path = dir.resolve(name);
        Files.write(path, file.array());
        return path;
    }

    private Path npy(String name, String header, int dataBytes) throws IOException {
        byte[] text = header.getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer file = ByteBuffer.allocate(10 + text.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        file.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.ISO_8859_1)).put((byte) 1).put((byte) 0)
                .putShort((short) text.length).put(text);
        Path path = dir.resolve(name);
        Files.write(path, file.array());
        return path;
    }

    @Test
    void halfPrecisionConversionIsExact() {
        assertEquals(1.0f, TensorFiles.halfToFloat(0x3c00));
        assertEquals(-2.0f, TensorFiles.halfToFloat(0xc000));
        assertEquals(65504f, TensorFiles.halfToFloat(0x7bff));
        assertEquals(0x1p-24f, TensorFiles.halfToFloat(0x0001));
        assertEquals(Float.POSITIVE_INFINITY, TensorFiles.halfToFloat(0x7c00));
        assertTrue(Float.isNaN(TensorFiles.halfToFloat(0x7e00)));
    }
}
