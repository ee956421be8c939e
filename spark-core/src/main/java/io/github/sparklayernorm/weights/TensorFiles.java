package io.github.sparklayernorm.weights;

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
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a trained model's weights (a LayerNorm's weight and bias, say) as doubles, flattened in
 * row-major order, for {@code setScale}/{@code setShift}:
 *
 * <ul>
 *   <li>{@code .safetensors}: the tensor named (any name if the file holds only one);
 *       F16, BF16, F32 and F64.</li>
 *   <li>NumPy {@code .npy}: the array; {@code <f2}, {@code <f4}, {@code <f8} (and big-endian).</li>
 * </ul>
 *
 * Every value is converted exactly (all four types fit in a double). A truncated file, a shape that
 * does not match the data, an unknown dtype or a missing tensor is an {@link IllegalArgumentException}
 * that names the file and the problem.
 *
 * <pre>{@code
 * ln.setScale(TensorFiles.read("model.safetensors", "encoder.layer_norm.weight"))
 *   .setShift(TensorFiles.read("model.safetensors", "encoder.layer_norm.bias"));
 * }</pre>
 */
public final class TensorFiles {

    private static final int MAX_HEADER = 100 * 1024 * 1024;

    private TensorFiles() {
    }

    /**
     * "PATH.npy", or "PATH.safetensors:TENSOR" (the tensor may be left out when the file holds one):
     * the form the batch job's --scale and --shift take.
     */
    public static double[] read(String pathAndTensor) {
        int colon = pathAndTensor.lastIndexOf(':');
        int dot = pathAndTensor.toLowerCase(Locale.ROOT).lastIndexOf(".safetensors:");
        if (dot >= 0 && colon == dot + ".safetensors".length()) {
            return read(pathAndTensor.substring(0, colon), pathAndTensor.substring(colon + 1));
        }
        return read(pathAndTensor, null);
    }

    /** Reads a tensor; {@code tensor} names it in a .safetensors file and is ignored for .npy. */
    public static double[] read(String path, String tensor) {
        Path file = Paths.get(path);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read weights file " + path + ": " + e, e);
        }
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".npy")) {
            return readNpy(path, bytes);
        }
        if (name.endsWith(".safetensors")) {
            return readSafetensors(path, bytes, tensor);
        }
        throw new IllegalArgumentException("weights file " + path + " is neither .safetensors nor .npy");
    }

    /** Whether a --scale/--shift value names a weights file rather than listing numbers. */
    public static boolean isTensorFile(String value) {
        String lower = value.toLowerCase(Locale.ROOT);
        return lower.endsWith(".npy") || lower.endsWith(".safetensors") || lower.contains(".safetensors:");
    }

    // ---- safetensors ---------------------------------------------------------------------------

    private static double[] readSafetensors(String path, byte[] bytes, String tensor) {
        if (bytes.length < 8) {
            throw new IllegalArgumentException(path + ": truncated safetensors file (" + bytes.length + " bytes)");
        }
        long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (headerLength < 2 || headerLength > MAX_HEADER || 8 + headerLength > bytes.length) {
            throw new IllegalArgumentException(path + ": truncated or not a safetensors file (header of "
                    + headerLength + " bytes in a file of " + bytes.length + ")");
        }
        JsonNode header;
        try {
            header = new ObjectMapper().readTree(new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalArgumentException(path + ": the safetensors header is not valid JSON: " + e.getMessage(), e);
        }
        List<String> names = new ArrayList<>();
        long dataEnd = 0;
        for (Iterator<String> it = header.fieldNames(); it.hasNext(); ) {
            String n = it.next();
            if (!n.equals("__metadata__")) {
                names.add(n);
                dataEnd = Math.max(dataEnd, header.get(n).path("data_offsets").path(1).asLong(0));
            }
        }
        // A file cut short anywhere is refused, even when the tensor asked for is intact.
        if (8 + headerLength + dataEnd > bytes.length) {
            throw new IllegalArgumentException(path + ": truncated safetensors file: its tensors need "
                    + dataEnd + " data bytes, the file has " + (bytes.length - 8 - headerLength));
        }
        String chosen = tensor;
        if (chosen == null || chosen.isEmpty()) {
            if (names.size() != 1) {
                throw new IllegalArgumentException(path + " holds " + names.size() + " tensors " + names
                        + "; name the one to use (PATH.safetensors:NAME)");
            }
            chosen = names.get(0);
        }
        JsonNode entry = header.get(chosen);
        if (entry == null || chosen.equals("__metadata__")) {
            throw new IllegalArgumentException(path + " has no tensor '" + chosen + "'; it has " + names);
        }
        String dtype = entry.path("dtype").asText("");
        int width = safetensorsWidth(path, chosen, dtype);
        long count = elements(path, chosen, entry.path("shape"));
        JsonNode offsets = entry.path("data_offsets");
        long begin = offsets.path(0).asLong(-1);
        long end = offsets.path(1).asLong(-1);
        long dataStart = 8 + headerLength;
        if (begin < 0 || end < begin || dataStart + end > bytes.length) {
            throw new IllegalArgumentException(path + ": tensor '" + chosen + "' lies at bytes [" + begin + ", " + end
                    + ") of the data, beyond the file's " + (bytes.length - dataStart) + " data bytes: truncated file?");
        }
        if (end - begin != count * width) {
            throw new IllegalArgumentException(path + ": tensor '" + chosen + "' has shape " + entry.path("shape")
                    + " of " + dtype + " (" + count * width + " bytes) but " + (end - begin) + " bytes of data");
        }
        ByteBuffer data = ByteBuffer.wrap(bytes, (int) (dataStart + begin), (int) (end - begin))
                .order(ByteOrder.LITTLE_ENDIAN);
        return decode(data, (int) count, dtype);
    }

    private static int safetensorsWidth(String path, String tensor, String dtype) {
        switch (dtype) {
            case "F16":
            case "BF16":
                return 2;
            case "F32":
                return 4;
            case "F64":
                return 8;
            default:
                throw new IllegalArgumentException(path + ": tensor '" + tensor + "' has dtype " + dtype
                        + "; weights must be F16, BF16, F32 or F64");
        }
    }

    private static long elements(String path, String tensor, JsonNode shape) {
        if (!shape.isArray()) {
            throw new IllegalArgumentException(path + ": tensor '" + tensor + "' has no shape");
        }
        long count = 1;
        for (JsonNode dim : shape) {
            if (!dim.canConvertToLong() || dim.asLong() < 0) {
                throw new IllegalArgumentException(path + ": tensor '" + tensor + "' has a bad shape " + shape);
            }
            count *= dim.asLong();
        }
        if (count > Integer.MAX_VALUE / 8) {
            throw new IllegalArgumentException(path + ": tensor '" + tensor + "' is too large for scale/shift");
        }
        return count;
    }

    /** Reads {@code count} little- or big-endian values of a dtype (F16, BF16, F32, F64). */
    private static double[] decode(ByteBuffer data, int count, String dtype) {
        double[] values = new double[count];
        for (int i = 0; i < count; i++) {
            switch (dtype) {
                case "F16":
                    values[i] = halfToFloat(data.getShort() & 0xffff);
                    break;
                case "BF16":
                    values[i] = Float.intBitsToFloat((data.getShort() & 0xffff) << 16);
                    break;
                case "F32":
                    values[i] = data.getFloat();
                    break;
                default:
                    values[i] = data.getDouble();
            }
        }
        return values;
    }

    /** IEEE 754 binary16 to float, exactly (Java 17 has no Float.float16ToFloat). */
    static float halfToFloat(int half) {
        int sign = (half >>> 15) & 1;
        int exponent = (half >>> 10) & 0x1f;
        int mantissa = half & 0x3ff;
        float magnitude;
        if (exponent == 0) {
            magnitude = mantissa * 0x1p-24f; // zero or subnormal: exact in float
        } else if (exponent == 31) {
            magnitude = mantissa == 0 ? Float.POSITIVE_INFINITY : Float.NaN;
        } else {
            magnitude = Float.intBitsToFloat(((exponent - 15 + 127) << 23) | (mantissa << 13));
        }
        return sign == 1 ? -magnitude : magnitude;
    }

    // ---- npy -----------------------------------------------------------------------------------

    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([<>|=])([a-zA-Z])(\\d+)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private static double[] readNpy(String path, byte[] bytes) {
        if (bytes.length < 10 || (bytes[0] & 0xff) != 0x93 || !new String(bytes, 1, 5, StandardCharsets.ISO_8859_1)
                .equals("NUMPY")) {
            throw new IllegalArgumentException(path + ": not a NumPy .npy file (no \\x93NUMPY magic) or truncated");
        }
        int major = bytes[6];
        int headerLength;
        int headerStart;
        if (major == 1) {
            headerLength = ByteBuffer.wrap(bytes, 8, 2).order(ByteOrder.LITTLE_ENDIAN).getShort() & 0xffff;
            headerStart = 10;
        } else if (major == 2 || major == 3) {
            if (bytes.length < 12) {
                throw new IllegalArgumentException(path + ": truncated .npy file");
            }
            headerLength = ByteBuffer.wrap(bytes, 8, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
            headerStart = 12;
        } else {
            throw new IllegalArgumentException(path + ": .npy format version " + major + " is not supported (1 to 3 are)");
        }
        if (headerLength < 0 || headerStart + (long) headerLength > bytes.length) {
            throw new IllegalArgumentException(path + ": truncated .npy file (header)");
        }
        String header = new String(bytes, headerStart, headerLength, StandardCharsets.ISO_8859_1);
        Matcher descr = DESCR.matcher(header);
        Matcher fortran = FORTRAN.matcher(header);
        Matcher shape = SHAPE.matcher(header);
        if (!descr.find() || !fortran.find() || !shape.find()) {
            throw new IllegalArgumentException(path + ": unreadable .npy header " + header.trim());
        }
        String dtype = descr.group(1) + descr.group(2) + descr.group(3);
        String kind = descr.group(2) + descr.group(3);
        String safetensorsType;
        switch (kind) {
            case "f2":
                safetensorsType = "F16";
                break;
            case "f4":
                safetensorsType = "F32";
                break;
            case "f8":
                safetensorsType = "F64";
                break;
            default:
                throw new IllegalArgumentException(path + ": dtype '" + dtype
                        + "' is not supported; weights must be float16, float32 or float64 (<f2, <f4, <f8)");
        }
        long count = 1;
        int dims = 0;
        for (String dim : shape.group(1).split(",")) {
            if (!dim.isBlank()) {
                count *= Long.parseLong(dim.trim());
                dims++;
            }
        }
        if (fortran.group(1).equals("True") && dims > 1) {
            throw new IllegalArgumentException(path + ": a Fortran-ordered " + dims + "-D array; save it C-ordered"
                    + " (numpy.ascontiguousarray) so that it flattens row-major");
        }
        int width = Integer.parseInt(descr.group(3));
        long dataStart = headerStart + (long) headerLength;
        if (dataStart + count * width > bytes.length) {
            throw new IllegalArgumentException(path + ": truncated .npy file: shape (" + shape.group(1).trim() + ") of "
                    + dtype + " needs " + count * width + " bytes, the file has " + (bytes.length - dataStart));
        }
        ByteOrder order = descr.group(1).equals(">") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        return decode(ByteBuffer.wrap(bytes, (int) dataStart, (int) (count * width)).order(order), (int) count,
                safetensorsType);
    }
}
