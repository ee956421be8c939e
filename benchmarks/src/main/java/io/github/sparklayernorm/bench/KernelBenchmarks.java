package io.github.sparklayernorm.bench;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs {@link CopyBenchmark} and {@link EngineBenchmark} in one JMH run and prints GB/s (bytes read +
 * written) with each engine's ratio to the copy of the same bytes, measured minutes apart at most.
 *
 * <p>Arguments narrow the parameters, JMH style: {@code d=256,1024 engine=java type=float norm=layer};
 * {@code batch=256,1024,4096,16384} sweeps the batch size (default 4096).
 * Run: {@code bin/bench-kernels [param=values ...]}.
 */
public final class KernelBenchmarks {

    public static void main(String[] args) throws RunnerException {
        ChainedOptionsBuilder options = new OptionsBuilder()
                .include(CopyBenchmark.class.getName() + ".copy")
                .include(EngineBenchmark.class.getName() + ".normalize")
                .warmupIterations(3).warmupTime(TimeValue.seconds(1))
                .measurementIterations(5).measurementTime(TimeValue.seconds(1))
                .forks(1)
                // The module Spark 4 gives its executors; 12 GB hold 100k x 4096 doubles twice over.
                .jvmArgsAppend("--add-modules=jdk.incubator.vector", "-Xmx12g", "-Dcom.aparapi.logLevel=OFF");
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("arguments are param=value[,value...], got " + arg);
            }
            options.param(arg.substring(0, eq), arg.substring(eq + 1).split(","));
        }
        Collection<RunResult> results = new Runner(options.build()).run();

        Map<String, Double> copyMs = new HashMap<>();
        Map<String, Map<String, Double>> engineMs = new TreeMap<>();
        List<String> columns = new ArrayList<>();
        for (RunResult result : results) {
            var params = result.getParams();
            int d = Integer.parseInt(params.getParam("d"));
            String type = params.getParam("type");
            int batch = Integer.parseInt(params.getParam("batch"));
            String key = String.format("%5d %-6s %6d", d, type, batch);
            double ms = result.getPrimaryResult().getScore();
            if (params.getBenchmark().endsWith(".copy")) {
                copyMs.put(key, ms);
            } else {
                String column = params.getParam("engine") + "/" + params.getParam("norm");
                if (!columns.contains(column)) {
                    columns.add(column);
                }
                engineMs.computeIfAbsent(key, k -> new HashMap<>()).put(column, ms);
            }
        }
        System.out.println();
        System.out.println("GB/s (bytes read + written) over " + KernelData.ROWS + " rows, in batches of the"
                + " batch column's rows; x = ratio to System.arraycopy of the same bytes, this run");
        StringBuilder header = new StringBuilder(String.format("| %5s | %-6s | %6s | %11s |", "d", "type", "batch",
                "copy"));
        for (String column : columns) {
            header.append(String.format(" %-24s |", column));
        }
        System.out.println(header);
        for (var row : engineMs.entrySet()) {
            String[] key = row.getKey().trim().split("\\s+");
            double bytes = KernelData.bytesMoved(Integer.parseInt(key[0]), key[1]);
            Double copy = copyMs.get(row.getKey());
            double copyRate = copy == null ? Double.NaN : bytes / (copy * 1e-3) / 1e9;
            StringBuilder line = new StringBuilder(String.format("| %5s | %-6s | %6s | %6.2f GB/s |", key[0], key[1],
                    key[2], copyRate));
            for (String column : columns) {
                Double ms = row.getValue().get(column);
                if (ms == null) {
                    line.append(String.format(" %-24s |", "-"));
                } else {
                    double rate = bytes / (ms * 1e-3) / 1e9;
                    line.append(String.format(" %6.2f GB/s = %5.2fx copy |", rate, rate / copyRate));
                }
            }
            System.out.println(line);
        }
    }

    private KernelBenchmarks() {
    }
}
