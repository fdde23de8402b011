package io.seqbus.client;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;

/**
 * What the kernel says one thread of this JVM is doing, read from {@code /proc/self/task/TID}: enough to tell a
 * thread asleep in poll(2) from one that spins, yields or parks (a park sleeps in futex(2)). Linux only.
 */
final class NativeThread
{
    // poll and ppoll on x86_64; ppoll on aarch64, which has no poll.
    private static final Set<Integer> POLL_SYSCALLS =
        "aarch64".equals(System.getProperty("os.arch")) ? Set.of(73) : Set.of(7, 271);

    private final Path task;

    private NativeThread(final Path task)
    {
        this.task = task;
    }

    /**
     * @param name a thread's name, at most 15 characters (the kernel keeps no more), unique in this JVM; the
     *             thread may have just been started (it names itself to the kernel once it runs).
     * @return the thread.
     */
    static NativeThread named(final String name)
    {
        if (name.length() > 15)
        {
            throw new IllegalArgumentException("the kernel keeps 15 characters of a thread's name: " + name);
        }
        return await().atMost(ScriptedBroker.WAIT).pollInterval(Duration.ofMillis(1))
            .until(() -> find(name), Objects::nonNull);
    }

    private static NativeThread find(final String name) throws IOException
    {
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task")))
        {
            final List<Path> found =
                tasks.filter(task -> name.equals(read(task.resolve("comm")))).collect(Collectors.toList());
            if (found.size() > 1)
            {
                throw new IllegalStateException(found.size() + " threads named " + name);
            }
            return found.isEmpty() ? null : new NativeThread(found.get(0));
        }
    }

    /**
     * @return true while the thread sleeps (state S) in poll(2): its wait channel is poll's, or, where the kernel
     *         hides wait channels, the system call it is in is poll or ppoll.
     */
    boolean isAsleepInPoll()
    {
        if (state() != 'S')
        {
            return false;
        }
        final String wchan = read(task.resolve("wchan"));
        if (!wchan.isEmpty() && !"0".equals(wchan))
        {
            return wchan.toLowerCase(Locale.ROOT).contains("poll");
        }
        final String syscall = read(task.resolve("syscall"));
        final String number = syscall.split(" ", 2)[0];
        return number.matches("\\d+") && POLL_SYSCALLS.contains(Integer.parseInt(number));
    }

    /** @return state, wait channel and system call, for a failure message. */
    @Override
    public String toString()
    {
        return task.getFileName() + " state " + state() + " wchan " + read(task.resolve("wchan")) + " syscall " +
            read(task.resolve("syscall"));
    }

    private char state()
    {
        final String stat = read(task.resolve("stat"));
        // "TID (comm) S ...": the name may hold spaces and parentheses, the state follows the last ')'.
        return stat.charAt(stat.lastIndexOf(')') + 2);
    }

    private static String read(final Path file)
    {
        try
        {
            return new String(Files.readAllBytes(file), StandardCharsets.US_ASCII).trim();
        }
        catch (final IOException ex)
        {
            return "";
        }
    }
}
