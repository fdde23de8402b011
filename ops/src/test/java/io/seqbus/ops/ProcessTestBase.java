package io.seqbus.ops;

import org.junit.jupiter.api.AfterEach;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What the tests of the packaged command line share: where the checkout and its {@code ./seqbus}
 * launcher are, and the processes and resources a test started, all stopped after it, pass or fail.
 */
abstract class ProcessTestBase
{
    /** The checkout's root (tests run in the ops module's folder). */
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    /** The root launcher, as a person runs it after {@code mvn package}. */
    static final Path LAUNCHER = ROOT.resolve("seqbus");

    /** Processes to kill after the test. */
    final List<Process> started = new ArrayList<>();
    /** Resources to close after the test, before the processes are killed. */
    final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void stopWhatTheTestStarted() throws Exception
    {
        for (final AutoCloseable c : closeables)
        {
            c.close();
        }
        started.forEach(Process::destroyForcibly);
    }
}
