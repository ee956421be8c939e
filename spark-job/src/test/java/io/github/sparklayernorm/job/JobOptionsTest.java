package io.github.sparklayernorm.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sparklayernorm.ml.LayerNormalizer;
import io.github.sparklayernorm.ml.RowNormalizer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ml.param.Param;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The job's options that set a param of the stage have the stage's default and take exactly the
 * values the stage takes: the job and the stage cannot drift apart.
 */
class JobOptionsTest {

    private static final String[] REQUIRED = {"--input", "in", "--output", "out", "--input-col", "features"};

    /** The job's options as parsed from the required ones alone: every other option at its default. */
    private static LayerNormJob parsedDefaults() {
        LayerNormJob job = new LayerNormJob(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
        LayerNormJob.commandLine(job).parseArgs(REQUIRED);
        return job;
    }

    private static OptionSpec option(String name) {
        return LayerNormJob.commandLine(new LayerNormJob(null, null)).getCommandSpec().findOption(name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"--epsilon", "--backend", "--handle-invalid", "--batch-size"})
    void anOptionThatSetsAStageParamHasTheStagesDefault(String name) {
        RowNormalizer<?> stage = new LayerNormalizer();
        Param<?> param = LayerNormJob.stageParam(stage, name);
        assertNotNull(param, name + " sets a param of the stage");
        Object parsed = readField(parsedDefaults(), name);
        assertEquals(stage.getOrDefault(param), parsed, name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"--backend", "--handle-invalid"})
    void anOptionOffersExactlyTheValuesTheStageTakes(String name) {
        RowNormalizer<?> stage = new LayerNormalizer();
        @SuppressWarnings("unchecked")
        Param<Object> param = (Param<Object>) LayerNormJob.stageParam(stage, name);
        List<String> offered = new ArrayList<>();
        option(name).completionCandidates().forEach(offered::add);
        assertTrue(offered.size() >= 3, offered.toString());
        for (String value : offered) {
            assertTrue(Boolean.TRUE.equals(param.isValid().apply(value)), name + " offers " + value);
            assertEquals(0, exitOfValidation(name, value), name + " " + value);
        }
        // A value the stage refuses is a usage error that says what the stage takes.
        assertEquals(2, exitOfValidation(name, "gpu"));
        assertTrue(usage(name, "gpu").contains(param.doc()), usage(name, "gpu"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"--epsilon=0", "--epsilon=Infinity", "--batch-size=0", "--batch-size=1048577"})
    void aNumberTheStageRefusesIsAUsageError(String argument) {
        String name = argument.substring(0, argument.indexOf('='));
        String value = argument.substring(argument.indexOf('=') + 1);
        assertEquals(2, exitOfValidation(name, value), argument);
        assertTrue(usage(name, value).contains("the stage's"), usage(name, value));
    }

    /** The exit code of the job's argument checks alone: 0 when they pass (nothing else runs), else 2. */
    private static int exitOfValidation(String name, String value) {
        return usage(name, value).isEmpty() ? 0 : 2;
    }

    private static String usage(String name, String value) {
        LayerNormJob job = new LayerNormJob(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
        CommandLine command = LayerNormJob.commandLine(job);
        List<String> args = new ArrayList<>(List.of(REQUIRED));
        args.add(name + "=" + value);
        try {
            command.parseArgs(args.toArray(new String[0]));
            job.validateArguments();
            return "";
        } catch (CommandLine.ParameterException e) {
            return e.getMessage();
        }
    }

    private static Object readField(LayerNormJob job, String name) {
        switch (name) {
            case "--epsilon":
                return job.epsilon;
            case "--backend":
                return job.backend;
            case "--handle-invalid":
                return job.handleInvalid;
            default:
                return job.batchSize;
        }
    }
}
