package io.github.sparklayernorm.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --scale and --shift: lists and files of numbers, and files that are none, refused by name before they cost memory. */
class AffineValuesTest {

    @TempDir
    Path dir;

    private static String refusal(String text) {
        return assertThrows(IllegalArgumentException.class, () -> AffineValues.parse("--scale", text)).getMessage();
    }

    @Test
    void aCommaListAndAFileOfNumbersGiveTheirValues() throws IOException {
        assertArrayEquals(new double[] {1, 0.5, -2e-3}, AffineValues.parse("--scale", "1, 0.5,-2e-3"), 0.0);
        Path file = dir.resolve("gamma.txt");
        Files.writeString(file, "1.5\n2.5 3.5,\n\n4.5\n");
        assertArrayEquals(new double[] {1.5, 2.5, 3.5, 4.5}, AffineValues.parse("--scale", file.toString()), 0.0);
    }

    @Test
    void aMissingFileIsSaidToBeMissing() {
        String message = refusal(dir.resolve("weights.txt").toString());
        assertTrue(message.startsWith("--scale: no such file '" + dir.resolve("weights.txt") + "'"), message);
    }

    /** A model's multi-gigabyte binary given by mistake (sparse on disk): refused by its size, unread. */
    @Test
    void aFileTooLargeForAnyScaleIsRefusedByNameAndSizeBeforeItIsRead() throws IOException {
        Path file = dir.resolve("pytorch_model.bin");
        long size = AffineValues.MAX_TEXT_BYTES + 1;
        try (RandomAccessFile sparse = new RandomAccessFile(file.toFile(), "rw")) {
            sparse.setLength(size);
        }
        String message = refusal(file.toString());
        assertTrue(message.contains(file + " has " + size + " bytes"), message);
    }

    @Test
    void aBinaryFileIsRefusedAtItsFirstBytes() throws IOException {
        Path file = dir.resolve("weights.bin");
        byte[] noise = new byte[1 << 20];
        new SplittableRandom(7).nextBytes(noise);
        Files.write(file, noise);
        String message = refusal(file.toString());
        assertTrue(message.startsWith("--scale: " + file) && message.length() < 300, message);
    }

    @Test
    void aWordThatIsNotANumberIsNamed() {
        String message = refusal("1,2,three");
        assertTrue(message.contains("'three' is not a number"), message);
    }
}
