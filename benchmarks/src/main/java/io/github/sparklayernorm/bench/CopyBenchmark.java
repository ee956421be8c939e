package io.github.sparklayernorm.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The limit the kernels are measured against: {@code System.arraycopy} of the same bytes, batch by
 * batch, one thread. Layer normalization reads each value once and writes it once, as a copy does.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class CopyBenchmark {

    @Param({"64", "256", "1024", "4096"})
    int d;

    @Param({"float", "double"})
    String type;

    /** Rows per batch: the transformer's default; a sweep (batch=256,1024,4096,16384) shows what a device gains. */
    @Param({"4096"})
    int batch;

    private KernelData data;

    @Setup
    public void setUp() {
        data = new KernelData(d, type, batch);
    }

    @Benchmark
    public Object copy() {
        data.copy();
        return data.floatOut != null ? data.floatOut : data.doubleOut;
    }
}
