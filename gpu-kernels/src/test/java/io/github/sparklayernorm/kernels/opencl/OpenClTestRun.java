package io.github.sparklayernorm.kernels.opencl;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * Run in a child JVM: runs one test class on the JUnit Platform (JUnit and jqwik tests alike) and
 * prints what happened to its tests, as {@code key=value} lines.
 */
public final class OpenClTestRun {

    public static void main(String[] args) throws ClassNotFoundException {
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        Launcher launcher = LauncherFactory.create();
        launcher.execute(LauncherDiscoveryRequestBuilder.request().selectors(selectClass(Class.forName(args[0]))).build(),
                listener);
        TestExecutionSummary summary = listener.getSummary();
        System.out.println("found=" + summary.getTestsFoundCount());
        System.out.println("succeeded=" + summary.getTestsSucceededCount());
        System.out.println("failed=" + summary.getTestsFailedCount());
        System.out.println("aborted=" + summary.getTestsAbortedCount());
        System.out.println("containersSkipped=" + summary.getContainersSkippedCount());
        System.out.println("containersFailed=" + summary.getContainersFailedCount());
        summary.getFailures().stream().limit(1).forEach(f -> System.out.println("firstFailure=" + f.getException()));
    }

    private OpenClTestRun() {
    }
}
