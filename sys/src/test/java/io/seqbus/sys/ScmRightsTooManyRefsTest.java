package io.seqbus.sys;

import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The kernel's refusal of descriptors for too many in flight (ETOOMANYREFS) on a real socket: {@link ScmRights#trySend}
 * answers {@link ScmRights#TOO_MANY_REFS} instead of throwing, so the broker can count it and retry without
 * allocating; {@link ScmRights#send} still throws. Root is exempt (CAP_SYS_RESOURCE, CAP_SYS_ADMIN), so the probe runs
 * in a child JVM that capsh (libcap2-bin) strips of both, under prlimit's RLIMIT_NOFILE of 128.
 */
class ScmRightsTooManyRefsTest
{
    @Test
    void trySendAnswersTooManyRefsWhereSendThrows() throws Exception
    {
        final String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        // Agrona's Unsafe needs the export the build gives every JVM it runs (seqbus.jvm.flags).
        final String command = "exec prlimit --nofile=128:128 " + java +
            " --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -Xmx64m -cp '" +
            System.getProperty("java.class.path") + "' " + TooManyRefsProbe.class.getName();
        final Process probe = new ProcessBuilder(
            List.of("capsh", "--drop=cap_sys_resource,cap_sys_admin", "--", "-c", command))
            .redirectErrorStream(true).start();
        assertThat(probe.waitFor(60, TimeUnit.SECONDS)).as("the probe ends").isTrue();
        final String output = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(probe.exitValue()).as(output).isZero();
        assertThat(output).contains("refused after");
    }
}
