package io.github.sparklayernorm.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
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
        byte[] json = header.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        java.nio.ByteBuffer file = java.nio.ByteBuffer.allocate(8 + json.length + 8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        file.putLong(json.length).put(json).putFloat(1f).putFloat(2f);
        Path path = dir.resolve("bad.safetensors");
        Files.write(path, file.array());
        assertTrue(failure(path.toString(), "w").contains("has shape [3] of F32 (12 bytes) but 8 bytes of data"));
    }

    @Test
    void fortranOrderedMatricesAreRefused() {
        assertTrue(failure(fixture("ln_fortran_2d.npy"), null).contains("Fortran-ordered"));
    }

    @Test
    void otherFilesAreRefused() throws IOException {
        Path text = dir.resolve("weights.txt");
        Files.writeString(text, "1,2,3");
        assertTrue(failure(text.toString(), null).contains("neither .safetensors nor .npy"));
        Path fake = dir.resolve("fake.npy");
        Files.writeString(fake, "this is not numpy at all");
        assertTrue(failure(fake.toString(), null).contains("not a NumPy .npy file"));
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
