package io.github.sparklayernorm.weights;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Weights files from outside may be anything. Thousands of mutated and truncated copies of real
 * .safetensors and .npy files: each is either read or refused with an IllegalArgumentException
 * that names the file; never another exception, never an out-of-memory.
 */
class TensorFilesFuzzTest {

    private static final String[] FIXTURES = {"model.safetensors", "single.safetensors", "ln_f32.npy", "ln_f16.npy",
        "ln_2d.npy", "ln_f64_big_endian.npy", "sharded/model-00001-of-00002.safetensors"};
    private static final String[] TENSORS = {null, "ln.weight", "ln.bias", "ln.bf16", "ln.f64", "counts",
        "encoder.ln.weight", "weight"};
    /** Numbers a lying header might hold. */
    private static final String[] NASTY = {"-1", "-2", "0", "4611686018427387905", "9223372036854775807",
        "9223372036854775808", "-9223372036854775808", "18446744073709551615", "1e30", "2.5", "2147483647",
        "2147483648", "4294967296", "99999999999999999999999", "NaN", "\"8\"", "null", "[]", "{}"};

    private static Path dir;

    @BeforeContainer
    static void makeDir() throws IOException {
        dir = Files.createTempDirectory("tensor-fuzz");
    }

    @AfterContainer
    static void removeDir() throws IOException {
        try (var files = Files.list(dir)) {
            files.forEach(f -> f.toFile().delete());
        }
        Files.deleteIfExists(dir);
    }

    @Property(tries = 3000)
    void everyMutatedFileIsReadOrRefusedByName(@ForAll @IntRange(min = 0, max = 6) int fixture,
                                               @ForAll @IntRange(min = 1, max = 4) int mutations,
                                               @ForAll @LongRange long seed) throws IOException {
        Random random = new Random(seed);
        String name = FIXTURES[fixture];
        byte[] bytes = Files.readAllBytes(Paths.get("src/test/resources/weights", name));
        for (int m = 0; m < mutations; m++) {
            bytes = mutate(bytes, random);
        }
        String fileName = "f" + seed + name.substring(name.lastIndexOf('.'));
        Path file = dir.resolve(fileName);
        Files.write(file, bytes);
        String tensor = TENSORS[random.nextInt(TENSORS.length)];
        try {
            double[] values = TensorFiles.read(file.toString(), tensor);
            assertTrue(values.length <= bytes.length, "more values than bytes: " + values.length);
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage() != null && e.getMessage().contains(file.toString()),
                    "the message names the file: " + e.getMessage());
        } catch (Throwable e) {
            fail("reading a mutated " + name + " (tensor " + tensor + ") threw " + e + "; bytes: "
                    + Arrays.toString(Arrays.copyOf(bytes, Math.min(bytes.length, 400))), e);
        } finally {
            Files.delete(file);
        }
    }

    private static byte[] mutate(byte[] bytes, Random random) {
        switch (random.nextInt(5)) {
            case 0: // truncate
                return Arrays.copyOf(bytes, bytes.length == 0 ? 0 : random.nextInt(bytes.length));
            case 1: { // flip a byte, mostly in the header
                if (bytes.length == 0) {
                    return bytes;
                }
                byte[] copy = bytes.clone();
                int at = random.nextInt(Math.min(copy.length, random.nextBoolean() ? 160 : copy.length));
                copy[at] = (byte) random.nextInt(256);
                return copy;
            }
            case 2: { // a lying length field: safetensors' 8 bytes at 0, or npy's at 8
                byte[] copy = bytes.clone();
                if (copy.length >= 12) {
                    ByteBuffer buffer = ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN);
                    if (random.nextBoolean()) {
                        buffer.putLong(0, random.nextBoolean() ? random.nextLong() : random.nextInt(copy.length + 64));
                    } else {
                        buffer.putInt(8, random.nextInt());
                    }
                }
                return copy;
            }
            default: // replace a number in the header text by a nasty one
                return replaceNumber(bytes, random);
        }
    }

    private static byte[] replaceNumber(byte[] bytes, Random random) {
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        int headerEnd = Math.min(text.length(), 400);
        int from = random.nextInt(Math.max(1, headerEnd));
        int start = from;
        while (start < headerEnd && !Character.isDigit(text.charAt(start))) {
            start++;
        }
        if (start >= headerEnd || start < 8) {
            return bytes;
        }
        int end = start;
        while (end < text.length() && Character.isDigit(text.charAt(end))) {
            end++;
        }
        String replaced = text.substring(0, start) + NASTY[random.nextInt(NASTY.length)] + text.substring(end);
        byte[] out = replaced.getBytes(StandardCharsets.ISO_8859_1);
        // Keep the declared header length right half of the time, so that the JSON is what is read.
        if (random.nextBoolean() && out.length >= 8 && bytes.length >= 8 && bytes[0] != (byte) 0x93) {
            ByteBuffer buffer = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
            buffer.putLong(0, buffer.getLong(0) + (out.length - bytes.length));
        }
        return out;
    }

}
