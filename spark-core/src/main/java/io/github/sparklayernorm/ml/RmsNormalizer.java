package io.github.sparklayernorm.ml;

import io.github.sparklayernorm.kernels.LayerNormSpec;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;

/**
 * Row-wise RMS normalization of vector and array columns: {@code y = scale * x / sqrt(mean(x^2) + epsilon)},
 * over each row's own values (or each group of {@code groupSize} values), as PyTorch's
 * {@code nn.RMSNorm} and ONNX's {@code RMSNormalization} compute it: no mean subtraction, no shift.
 *
 * <p>The same column types, multi-column params, invalid-row rules, backends, persistence and
 * numerics as {@link LayerNormalizer}. {@link #setInvStdDevCol} adds each row's inverse RMS.
 * Epsilon defaults to 1e-5 (ONNX); PyTorch's default is the dtype's machine epsilon and Keras's 1e-6.
 */
public class RmsNormalizer extends RowNormalizer<RmsNormalizer> {

    private static final long serialVersionUID = 1L;

    public RmsNormalizer() {
        this(Identifiable.randomUID("rmsNorm"));
    }

    public RmsNormalizer(String uid) {
        super(uid);
    }

    @Override
    protected LayerNormSpec spec() {
        return LayerNormSpec.rms(getEpsilon(), getScale());
    }

    @Override
    public RmsNormalizer copy(ParamMap extra) {
        return (RmsNormalizer) defaultCopy(extra);
    }

    public static MLReader<RmsNormalizer> read() {
        return new DefaultParamsReader<>();
    }

    public static RmsNormalizer load(String path) {
        return read().load(path);
    }
}
