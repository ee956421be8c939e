package io.github.sparklayernorm.weights;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
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
 *   <li>{@code .safetensors.index.json}: a sharded checkpoint (Hugging Face's index: its
 *       {@code weight_map} names the shard, beside the index, that holds the tensor).</li>
 *   <li>NumPy {@code .npy}: the array; {@code <f2}, {@code <f4}, {@code <f8} (and big-endian).</li>
 * </ul>
 *
 * Every value is converted exactly (all four types fit in a double). Files are not loaded whole:
 * the header is read, then only the tensor's bytes, so memory is bounded by the tensor, whatever the
 * size of the checkpoint. Sizes and offsets from the file are checked in exact arithmetic: a
 * truncated file, a shape that overflows, is negative or does not match the data, an unknown dtype
 * or a missing tensor is an {@link IllegalArgumentException} that names the file and the problem.
 *
 * <pre>{@code
 * ln.setScale(TensorFiles.read("model.safetensors", "encoder.layer_norm.weight"))
 *   .setShift(TensorFiles.read("model.safetensors", "encoder.layer_norm.bias"));
 * }</pre>
 */
public final class TensorFiles {

    /** The safetensors format's own limit on its JSON header; also applied to .npy headers. */
    private static final int MAX_HEADER = 100 * 1024 * 1024;
    /** Index files list tensor names and shard names: a few MB for the largest models. */
    private static final int MAX_INDEX = 64 * 1024 * 1024;
    /** The deepest a header's JSON may nest: real ones nest 3 levels; parsers recurse per level. */
    static final int MAX_NESTING = 64;
    /**
     * The most values a scale or shift may have (2^24, one per value of the longest row the stages
     * take through a weights file), far above any model's hidden size: a wrong tensor name (an
     * embedding matrix) is refused from its header, before gigabytes are decoded.
     */
    public static final int MAX_VALUES = 1 << 24;
    private static final String SAFETENSORS = ".safetensors";
    private static final String INDEX = ".safetensors.index.json";

    private TensorFiles() {
    }

    /**
     * "PATH.npy", or "PATH.safetensors:TENSOR" or "PATH.safetensors.index.json:TENSOR" (the tensor
     * may be left out when a .safetensors file holds one): the form the batch job's --scale and
     * --shift take.
     */
    public static double[] read(String pathAndTensor) {
        String lower = pathAndTensor.toLowerCase(Locale.ROOT);
        for (String suffix : new String[] {INDEX + ":", SAFETENSORS + ":"}) {
            int at = lower.lastIndexOf(suffix);
            if (at >= 0) {
                int colon = at + suffix.length() - 1;
                return read(pathAndTensor.substring(0, colon), pathAndTensor.substring(colon + 1));
            }
        }
        return read(pathAndTensor, null);
    }

    /**
     * Reads a tensor; {@code tensor} names it in a .safetensors file or a sharded checkpoint's
     * index, and is ignored for .npy.
     */
    public static double[] read(String path, String tensor) {
        Path file = Paths.get(path);
        String name = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (!name.endsWith(".npy") && !name.endsWith(SAFETENSORS) && !name.endsWith(INDEX)) {
            throw new IllegalArgumentException("weights file " + path
                    + " is neither .safetensors, .safetensors.index.json nor .npy");
        }
        if (name.endsWith(INDEX)) {
            return readSharded(path, file, tensor);
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            Source source = new Source(path, channel);
            return name.endsWith(".npy") ? readNpy(source) : readSafetensors(source, tensor);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read weights file " + path + ": " + e, e);
        }
    }

    /** Whether a --scale/--shift value names a weights file rather than listing numbers. */
    public static boolean isTensorFile(String value) {
        String lower = value.toLowerCase(Locale.ROOT);
        return lower.endsWith(".npy") || lower.endsWith(SAFETENSORS) || lower.contains(SAFETENSORS + ":")
                || lower.endsWith(INDEX) || lower.contains(INDEX + ":");
    }

    /** A file being read: its name for messages, its size, and reads at exact positions. */
    private static final class Source {
        final String path;
        final FileChannel channel;
        final long size;

        Source(String path, FileChannel channel) throws IOException {
            this.path = path;
            this.channel = channel;
            this.size = channel.size();
        }

        /** Exactly {@code length} bytes at {@code position}; the caller has checked they lie in the file. */
        ByteBuffer read(long position, long length, ByteOrder order) throws IOException {
            ByteBuffer buffer = ByteBuffer.allocate(Math.toIntExact(length)).order(order);
            while (buffer.hasRemaining()) {
                if (channel.read(buffer, position + buffer.position()) < 0) {
                    throw new EOFException(path + " ended while reading it (changed on disk?)");
                }
            }
            return buffer.flip();
        }

        IllegalArgumentException refuse(String problem) {
            return new IllegalArgumentException(path + ": " + problem);
        }
    }

    // ---- sharded checkpoints -------------------------------------------------------------------

    private static double[] readSharded(String path, Path index, String tensor) {
        if (tensor == null || tensor.isEmpty()) {
            throw new IllegalArgumentException(path + " is the index of a sharded checkpoint; name the tensor to use"
                    + " (PATH.safetensors.index.json:NAME)");
        }
        JsonNode json;
        try (FileChannel channel = FileChannel.open(index, StandardOpenOption.READ)) {
            Source source = new Source(path, channel);
            if (source.size > MAX_INDEX) {
                throw source.refuse("an index of " + source.size + " bytes is not a safetensors index (at most "
                        + MAX_INDEX + ")");
            }
            ByteBuffer bytes = source.read(0, source.size, ByteOrder.LITTLE_ENDIAN);
            String text = new String(bytes.array(), StandardCharsets.UTF_8);
            if (nesting(text) > MAX_NESTING) {
                throw source.refuse("the index nests deeper than " + MAX_NESTING + " levels");
            }
            json = new ObjectMapper().readTree(text);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read weights index " + path + ": " + e.getMessage(), e);
        }
        JsonNode map = json == null ? null : json.get("weight_map");
        if (map == null || !map.isObject()) {
            throw new IllegalArgumentException(path + ": not a safetensors index (no \"weight_map\" object)");
        }
        JsonNode shard = map.get(tensor);
        if (shard == null) {
            List<String> some = new ArrayList<>();
            for (Iterator<String> it = map.fieldNames(); it.hasNext() && some.size() < 10; ) {
                some.add(it.next());
            }
            throw new IllegalArgumentException(path + " maps no tensor '" + tensor + "'; it maps " + map.size()
                    + " tensors, such as " + some);
        }
        Path shardFile = Paths.get(shard.asText(""));
        if (!shard.isTextual() || shardFile.isAbsolute() || shardFile.getNameCount() != 1
                || !shard.asText().toLowerCase(Locale.ROOT).endsWith(SAFETENSORS)) {
            throw new IllegalArgumentException(path + ": tensor '" + tensor + "' maps to " + shard
                    + ", not to a .safetensors file beside the index");
        }
        Path dir = index.toAbsolutePath().getParent();
        return read(dir.resolve(shardFile).toString(), tensor);
    }

    // ---- safetensors ---------------------------------------------------------------------------

    private static double[] readSafetensors(Source file, String tensor) throws IOException {
        if (file.size < 8) {
            throw file.refuse("truncated safetensors file (" + file.size + " bytes)");
        }
        long headerLength = file.read(0, 8, ByteOrder.LITTLE_ENDIAN).getLong();
        if (headerLength < 2 || headerLength > MAX_HEADER || headerLength > file.size - 8) {
            throw file.refuse("truncated or not a safetensors file (header of " + Long.toUnsignedString(headerLength)
                    + " bytes in a file of " + file.size + ")");
        }
        JsonNode header;
        try {
            String text = new String(file.read(8, headerLength, ByteOrder.LITTLE_ENDIAN).array(), StandardCharsets.UTF_8);
            if (nesting(text) > MAX_NESTING) {
                throw file.refuse("the safetensors header nests deeper than " + MAX_NESTING + " levels");
            }
            header = new ObjectMapper().readTree(text);
        } catch (IOException e) {
            throw file.refuse("the safetensors header is not valid JSON: " + e.getMessage());
        }
        if (header == null || !header.isObject()) {
            throw file.refuse("the safetensors header is not a JSON object");
        }
        long dataStart = 8 + headerLength;
        long dataBytes = file.size - dataStart;
        List<String> names = new ArrayList<>();
        List<long[]> spans = new ArrayList<>();
        for (Iterator<String> it = header.fieldNames(); it.hasNext(); ) {
            String n = it.next();
            if (n.equals("__metadata__")) {
                continue;
            }
            names.add(n);
            long[] span = span(file, n, header.get(n));
            // A file cut short anywhere is refused, even when the tensor asked for is intact.
            if (span[1] > dataBytes) {
                throw file.refuse("truncated safetensors file: tensor '" + n + "' needs data bytes up to " + span[1]
                        + ", the file has " + dataBytes);
            }
            spans.add(span);
        }
        requireContiguous(file, names, spans, dataBytes);
        String chosen = tensor;
        if (chosen == null || chosen.isEmpty()) {
            if (names.size() != 1) {
                throw file.refuse("holds " + names.size() + " tensors " + names
                        + "; name the one to use (PATH.safetensors:NAME)");
            }
            chosen = names.get(0);
        }
        JsonNode entry = header.get(chosen);
        if (entry == null || chosen.equals("__metadata__")) {
            throw file.refuse("has no tensor '" + chosen + "'; it has " + names);
        }
        String dtype = entry.path("dtype").asText("");
        int width = safetensorsWidth(file, chosen, dtype);
        long count = elements(file, chosen, entry.path("shape"));
        long[] span = span(file, chosen, entry);
        long bytes = span[1] - span[0];
        if (count > bytes / width || count * width != bytes) {
            throw file.refuse("tensor '" + chosen + "' has shape " + entry.path("shape") + " of " + dtype
                    + " but " + bytes + " bytes of data (" + width + " per value)");
        }
        int n = values(file, "tensor '" + chosen + "' of shape " + entry.path("shape"), count);
        return decode(file.read(dataStart + span[0], bytes, ByteOrder.LITTLE_ENDIAN), n, dtype);
    }

    /**
     * The tensors' data ranges, in order, tile the data section exactly, as the reference
     * safetensors reader requires: no overlap (two tensors sharing bytes), no hole, nothing after.
     */
    private static void requireContiguous(Source file, List<String> names, List<long[]> spans, long dataBytes) {
        Integer[] order = new Integer[spans.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.<Integer>comparingLong(i -> spans.get(i)[0]).thenComparingLong(i -> spans.get(i)[1]));
        long end = 0;
        for (int i : order) {
            long[] span = spans.get(i);
            if (span[0] != end) {
                throw file.refuse("tensor '" + names.get(i) + "' has data_offsets [" + span[0] + ", " + span[1]
                        + "], but the data before it ends at " + end + ": data ranges that overlap or leave a hole");
            }
            end = span[1];
        }
        if (end != dataBytes) {
            throw file.refuse("the tensors' data ends at byte " + end + " of " + dataBytes
                    + ": trailing bytes after the last tensor");
        }
    }

    /** How deep brackets and braces nest in a JSON text, outside its strings. */
    static int nesting(String json) {
        int depth = 0;
        int deepest = 0;
        boolean inString = false;
        for (int i = 0; i < json.length(); i++) {
            char c = json.charAt(i);
            if (inString) {
                if (c == '\\') {
                    i++;
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
            } else if (c == '[' || c == '{') {
                deepest = Math.max(deepest, ++depth);
            } else if (c == ']' || c == '}') {
                depth--;
            }
        }
        return deepest;
    }

    /** A tensor's [begin, end) in the data section, as whole non-negative numbers in order. */
    private static long[] span(Source file, String tensor, JsonNode entry) {
        JsonNode offsets = entry == null ? null : entry.get("data_offsets");
        // Whole numbers as JSON writes them: 8, not 8.0 or 8e0 (as Python's reader and the reference reader).
        if (offsets == null || !offsets.isArray() || offsets.size() != 2 || !offsets.get(0).isIntegralNumber()
                || !offsets.get(1).isIntegralNumber() || !offsets.get(0).canConvertToLong()
                || !offsets.get(1).canConvertToLong()) {
            throw file.refuse("tensor '" + tensor + "' has bad data_offsets " + offsets
                    + " (two whole numbers expected)");
        }
        long begin = offsets.get(0).asLong();
        long end = offsets.get(1).asLong();
        if (begin < 0 || end < begin) {
            throw file.refuse("tensor '" + tensor + "' has bad data_offsets [" + begin + ", " + end + "]");
        }
        return new long[] {begin, end};
    }

    private static int safetensorsWidth(Source file, String tensor, String dtype) {
        switch (dtype) {
            case "F16":
            case "BF16":
                return 2;
            case "F32":
                return 4;
            case "F64":
                return 8;
            default:
                throw file.refuse("tensor '" + tensor + "' has dtype " + dtype
                        + "; weights must be F16, BF16, F32 or F64");
        }
    }

    private static long elements(Source file, String tensor, JsonNode shape) {
        if (!shape.isArray()) {
            throw file.refuse("tensor '" + tensor + "' has no shape");
        }
        List<Long> dims = new ArrayList<>();
        for (JsonNode dim : shape) {
            if (!dim.isIntegralNumber() || !dim.canConvertToLong() || dim.asLong() < 0) {
                throw file.refuse("tensor '" + tensor + "' has a bad shape " + shape
                        + " (dimensions are whole numbers >= 0)");
            }
            dims.add(dim.asLong());
        }
        return product(file, "tensor '" + tensor + "'", dims, shape.toString());
    }

    /** The number of values of a shape, refused when the product overflows a long. */
    private static long product(Source file, String what, List<Long> dims, String shape) {
        long count = 1;
        for (long dim : dims) {
            try {
                count = Math.multiplyExact(count, dim);
            } catch (ArithmeticException e) {
                throw file.refuse(what + " has shape " + shape + ", whose number of values overflows");
            }
        }
        return count;
    }

    private static int values(Source file, String what, long count) {
        if (count > MAX_VALUES) {
            throw file.refuse(what + " has " + count + " values, too many for a scale or shift (at most "
                    + MAX_VALUES + ", one per value of a row); is it the layer norm's weight?");
        }
        return (int) count;
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
    private static final Pattern DIMENSION = Pattern.compile("\\s*(\\d{1,19})\\s*");

    private static double[] readNpy(Source file) throws IOException {
        ByteBuffer prefix = file.read(0, Math.min(12, file.size), ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[Math.min(6, prefix.remaining())];
        prefix.get(magic);
        if (file.size < 10 || (magic[0] & 0xff) != 0x93
                || !new String(magic, 1, 5, StandardCharsets.ISO_8859_1).equals("NUMPY")) {
            throw file.refuse("not a NumPy .npy file (no \\x93NUMPY magic) or truncated");
        }
        int major = prefix.get(6);
        long headerLength;
        int headerStart;
        if (major == 1) {
            headerLength = prefix.getShort(8) & 0xffff;
            headerStart = 10;
        } else if (major == 2 || major == 3) {
            if (file.size < 12) {
                throw file.refuse("truncated .npy file");
            }
            headerLength = prefix.getInt(8) & 0xffffffffL;
            headerStart = 12;
        } else {
            throw file.refuse(".npy format version " + major + " is not supported (1 to 3 are)");
        }
        if (headerLength > MAX_HEADER || headerLength > file.size - headerStart) {
            throw file.refuse("truncated .npy file (a header of " + headerLength + " bytes in a file of "
                    + file.size + ")");
        }
        String header = new String(file.read(headerStart, headerLength, ByteOrder.LITTLE_ENDIAN).array(),
                StandardCharsets.ISO_8859_1);
        Matcher descr = DESCR.matcher(header);
        Matcher fortran = FORTRAN.matcher(header);
        Matcher shape = SHAPE.matcher(header);
        if (!descr.find() || !fortran.find() || !shape.find()) {
            throw file.refuse("unreadable .npy header " + header.trim());
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
                throw file.refuse("dtype '" + dtype
                        + "' is not supported; weights must be float16, float32 or float64 (<f2, <f4, <f8)");
        }
        String shapeText = "(" + shape.group(1).trim() + ")";
        List<Long> dims = new ArrayList<>();
        String[] parts = shape.group(1).split(",", -1);
        for (int i = 0; i < parts.length; i++) {
            boolean trailing = i == parts.length - 1 && parts[i].isBlank() && i > 0;
            boolean empty = parts.length == 1 && parts[i].isBlank();
            if (trailing || empty) {
                continue;
            }
            Matcher dim = DIMENSION.matcher(parts[i]);
            long value = -1;
            if (dim.matches()) {
                try {
                    value = Long.parseLong(dim.group(1));
                } catch (NumberFormatException e) {
                    value = -1;
                }
            }
            if (value < 0) {
                throw file.refuse("the .npy shape " + shapeText + " is not a tuple of whole numbers >= 0");
            }
            dims.add(value);
        }
        long count = product(file, "the array", dims, shapeText);
        if (fortran.group(1).equals("True") && dims.size() > 1) {
            throw file.refuse("a Fortran-ordered " + dims.size() + "-D array; save it C-ordered"
                    + " (numpy.ascontiguousarray) so that it flattens row-major");
        }
        int width = Integer.parseInt(descr.group(3));
        long dataStart = headerStart + headerLength;
        long dataBytes = file.size - dataStart;
        if (count > dataBytes / width) {
            throw file.refuse("truncated .npy file: shape " + shapeText + " of " + dtype + " needs " + count
                    + " values of " + width + " bytes, the file has " + dataBytes + " data bytes");
        }
        ByteOrder order = descr.group(1).equals(">") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        int n = values(file, "the array of shape " + shapeText, count);
        return decode(file.read(dataStart, (long) n * width, order), n, safetensorsType);
    }
}
