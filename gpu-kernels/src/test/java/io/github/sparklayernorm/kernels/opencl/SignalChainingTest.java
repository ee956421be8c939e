package io.github.sparklayernorm.kernels.opencl;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SignalChainingTest {

    @Test
    void libjsigIsRecognizedInAProcessMap() {
        assertTrue(SignalChaining.isPreloaded(
                "7f1c2a000000-7f1c2a001000 r-xp 00000000 08:01 123 /usr/lib/jvm/java-17-openjdk-amd64/lib/libjsig.so\n"));
        assertFalse(SignalChaining.isPreloaded(
                "7f1c2a000000-7f1c2a001000 r-xp 00000000 08:01 123 /usr/lib/jvm/java-17-openjdk-amd64/lib/libjava.so\n"));
    }

    @Test
    void theTestJvmRunsWithLibjsigPreloaded() {
        assertDoesNotThrow(SignalChaining::requirePreloaded, "the build must preload libjsig for tests");
    }
}
