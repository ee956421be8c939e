package io.github.sparklayernorm.job;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import io.github.sparklayernorm.weights.TensorFiles;

/**
 * Scale or shift as given on the command line: a comma list ("1,0.5,2"), a text file of numbers,
 * a NumPy file ("ln_weight.npy") or a tensor of a safetensors file ("model.safetensors:ln.weight").
 */
final class AffineValues {

    private AffineValues() {
    }

    /**
     * @param option the option's name, for messages
     * @param text   a comma list, or the path of a text file with numbers separated by commas or whitespace
     */
    static double[] parse(String option, String text) {
        if (TensorFiles.isTensorFile(text)) {
            try {
                return TensorFiles.read(text);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(option + ": " + e.getMessage(), e);
            }
        }
        Path file = Paths.get(text);
        String numbers = text;
        if (Files.isRegularFile(file)) {
            try {
                numbers = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new IllegalArgumentException(option + ": cannot read " + file + ": " + e.getMessage(), e);
            }
        }
        List<Double> values = new ArrayList<>();
        for (String token : numbers.trim().split("[,\\s]+")) {
            if (token.isEmpty()) {
                continue;
            }
            try {
                values.add(Double.parseDouble(token));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(option + ": '" + token + "' is not a number; give a comma list"
                        + " such as 1,0.5,2 or a file of numbers");
            }
        }
        if (values.isEmpty()) {
            throw new IllegalArgumentException(option + ": no values in '" + text + "'");
        }
        return values.stream().mapToDouble(Double::doubleValue).toArray();
    }
}
