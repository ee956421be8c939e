package io.github.sparklayernorm.job;

import io.github.sparklayernorm.weights.TensorFiles;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;

/**
 * Scale or shift as given on the command line: a comma list ("1,0.5,2"), a text file of numbers,
 * a NumPy file ("ln_weight.npy") or a tensor of a safetensors file ("model.safetensors:ln.weight").
 * A text file is refused by its size before it is read, and read as a stream that stops at the
 * first word that is not a number: a model's multi-gigabyte binary given by mistake costs nothing.
 */
final class AffineValues {

    /** The longest a number of a text file can usefully be, with its separator ("-1.2345678901234567E-308, "). */
    private static final long BYTES_PER_VALUE = 32;
    /** The largest text file of numbers taken: {@link TensorFiles#MAX_VALUES} numbers at their longest. */
    static final long MAX_TEXT_BYTES = TensorFiles.MAX_VALUES * BYTES_PER_VALUE;

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
        if (Files.exists(file)) {
            return fromFile(option, file);
        }
        Numbers numbers = new Numbers(option, "'" + text + "'");
        try {
            numbers.read(new java.io.StringReader(text));
        } catch (NotANumber e) {
            boolean oneWord = !text.contains(",") && text.trim().split("\\s+").length == 1;
            throw new IllegalArgumentException(option + ": " + (oneWord
                    ? "no such file '" + text + "', and not a number either; give a file of numbers, a .npy or"
                            + " .safetensors file, or a comma list such as 1,0.5,2"
                    : "'" + e.token + "' is not a number; give a comma list such as 1,0.5,2 or a file of numbers"));
        } catch (IOException e) {
            throw new IllegalStateException(e); // a string reader does not fail
        }
        return numbers.values();
    }

    private static double[] fromFile(String option, Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(option + ": " + file + " is not a file; give a file of numbers");
        }
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw new IllegalArgumentException(option + ": cannot read " + file + ": " + e.getMessage(), e);
        }
        if (size > MAX_TEXT_BYTES) {
            throw new IllegalArgumentException(option + ": " + file + " has " + size + " bytes, more than a text file"
                    + " of at most " + TensorFiles.MAX_VALUES + " numbers can (" + MAX_TEXT_BYTES + " bytes); give the"
                    + " weights as a .npy or .safetensors file, or a file of numbers");
        }
        Numbers numbers = new Numbers(option, file.toString());
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            numbers.read(in);
        } catch (NotANumber e) {
            throw new IllegalArgumentException(option + ": " + file + ": '" + e.token + "' is not a number; give a"
                    + " file of numbers separated by commas or whitespace");
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IllegalArgumentException(option + ": " + file + " is not text (not UTF-8); give a file of"
                    + " numbers, or a .npy or .safetensors file");
        } catch (IOException e) {
            throw new IllegalArgumentException(option + ": cannot read " + file + ": " + e.getMessage(), e);
        }
        return numbers.values();
    }

    /** A word that does not parse as a number. */
    private static final class NotANumber extends Exception {
        private static final long serialVersionUID = 1L;
        final String token;

        NotANumber(String token) {
            super(null, null, false, false);
            this.token = token;
        }
    }

    /** Numbers separated by commas or whitespace, read as a stream, at most {@link TensorFiles#MAX_VALUES}. */
    private static final class Numbers {
        private final String option;
        private final String source;
        private double[] values = new double[16];
        private int count;

        Numbers(String option, String source) {
            this.option = option;
            this.source = source;
        }

        void read(Reader in) throws IOException, NotANumber {
            StringBuilder word = new StringBuilder();
            for (int c = in.read(); ; c = in.read()) {
                if (c < 0 || c == ',' || Character.isWhitespace(c)) {
                    if (word.length() > 0) {
                        add(word.toString());
                        word.setLength(0);
                    }
                    if (c < 0) {
                        return;
                    }
                } else if (word.length() > BYTES_PER_VALUE * 4) {
                    throw new NotANumber(word.substring(0, 40) + "...");
                } else {
                    word.append((char) c);
                }
            }
        }

        private void add(String token) throws NotANumber {
            double value;
            try {
                value = Double.parseDouble(token);
            } catch (NumberFormatException e) {
                throw new NotANumber(token);
            }
            if (count == TensorFiles.MAX_VALUES) {
                throw new IllegalArgumentException(option + ": " + source + " has more than " + TensorFiles.MAX_VALUES
                        + " numbers, more than a scale or shift may have (one per value of a row)");
            }
            if (count == values.length) {
                values = Arrays.copyOf(values, (int) Math.min(TensorFiles.MAX_VALUES, 2L * values.length));
            }
            values[count++] = value;
        }

        double[] values() {
            if (count == 0) {
                throw new IllegalArgumentException(option + ": no values in " + source);
            }
            return Arrays.copyOf(values, count);
        }
    }
}
