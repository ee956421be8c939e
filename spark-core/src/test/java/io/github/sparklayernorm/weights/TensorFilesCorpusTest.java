package io.github.sparklayernorm.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The safetensors headers of {@code weights/header-corpus.json}, which Python's {@code read_tensor}
 * reads too ({@code python/tests/test_tensors.py}): both readers read the same headers and refuse
 * the same ones, with the same words.
 */
class TensorFilesCorpusTest {

    @TempDir
    Path dir;

    static Stream<JsonNode> cases() throws IOException {
        JsonNode corpus = new ObjectMapper().readTree(Paths.get("src/test/resources/weights/header-corpus.json").toFile());
        List<JsonNode> cases = new ArrayList<>();
        corpus.get("cases").forEach(cases::add);
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void bothReadersReadOrRefuseEachHeader(JsonNode c) throws IOException {
        byte[] header = c.get("header").asText().getBytes(StandardCharsets.UTF_8);
        int data = c.get("data").asInt();
        ByteBuffer bytes = ByteBuffer.allocate(8 + header.length + data).order(ByteOrder.LITTLE_ENDIAN);
        bytes.putLong(header.length).put(header);
        Path file = dir.resolve("case.safetensors");
        Files.write(file, bytes.array());
        String name = c.get("case").asText();
        try {
            double[] values = TensorFiles.read(file.toString(), c.get("tensor").asText());
            assertEquals("read", c.get("expect").asText(), name + ": read " + values.length + " values");
        } catch (IllegalArgumentException e) {
            if (!c.get("expect").asText().equals("refused")) {
                fail(name + ": refused: " + e.getMessage(), e);
            }
            assertTrue(e.getMessage().startsWith(file.toString()) && e.getMessage().contains(c.get("says").asText()),
                    name + ": " + e.getMessage());
        }
    }
}
