package io.seqbus.ops;

import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.ClientStats;
import io.seqbus.client.ThreadMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Isolated;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * An idle connected client costs next to nothing (issue 16): it sleeps in poll(2) and wakes a few times a second,
 * not a thousand (an idle {@code seqbus sub} parked up to 1 ms at a time: 3% of a core), and a message that comes
 * after the idle stretch still arrives. Wake-ups are counted, not CPU time: voluntary context switches, from
 * {@code /proc/PID/task/TID/status}, over {@value #IDLE_SECONDS} s; of the whole {@code seqbus sub} process (its
 * JVM's own threads wake ~40 times a second), and of each DEDICATED client's own thread here (socket and shared
 * memory), which sleeps in poll(2) up to 100 ms at a time.
 */
// Alone: it measures time or wake-ups, which another IT's processes beside it would distort.
@Isolated
class IdleClientWakeUpsIT extends CliTestBase
{
    private static final int IDLE_SECONDS = 3;
    /** Wake-ups a second of the whole idle {@code seqbus sub}: its JVM's threads ~40, its main thread ~1. */
    private static final int SUB_PROCESS_MAX_PER_SECOND = 150;
    /** Wake-ups a second of an idle DEDICATED client's thread: ~10 (one per 100 ms sleep). */
    private static final int CLIENT_THREAD_MAX_PER_SECOND = 25;

    @Test
    void idleClientsWakeRarelyAndStillReceiveAtOnce() throws Exception
    {
        final String socket = dir.resolve("idle.sock").toString();
        broker(socket, SharedMemoryIT.SHM_ON);
        final Cli sub = subscribed(socket, "idle.>");
        final AtomicInteger onSocket = new AtomicInteger();
        final AtomicInteger onShm = new AtomicInteger();
        final BusClient socketClient = client(socket, new ClientOptions().threadMode(ThreadMode.DEDICATED)
            .sharedMemory(false).threadName("idle-sock"));
        final BusClient shmClient = client(socket, new ClientOptions().threadMode(ThreadMode.DEDICATED)
            .sharedMemory(true).threadName("idle-shm"));
        socketClient.subscribe("idle.>", m -> onSocket.incrementAndGet());
        shmClient.subscribe("idle.>", m -> onShm.incrementAndGet());
        socketClient.sync(WAIT);
        shmClient.sync(WAIT);
        assertThat(shmClient.stats().transport()).isEqualTo(ClientStats.SHARED_MEMORY);
        assertThat(socketClient.stats().transport()).isEqualTo(ClientStats.SOCKET);
        final long self = ProcessHandle.current().pid();
        final Path socketThread = thread(self, "idle-sock");
        final Path shmThread = thread(self, "idle-shm");

        final Map<Path, Long> subBefore = processWakeUps(sub.process().pid());
        final long socketBefore = wakeUps(socketThread);
        final long shmBefore = wakeUps(shmThread);
        final long startNs = System.nanoTime();
        // The measured interval, not a wait for something to happen.
        TimeUnit.SECONDS.sleep(IDLE_SECONDS);
        final double seconds = (System.nanoTime() - startNs) / 1e9;
        final double subRate = sinceThen(subBefore, processWakeUps(sub.process().pid())) / seconds;
        final double socketRate = (wakeUps(socketThread) - socketBefore) / seconds;
        final double shmRate = (wakeUps(shmThread) - shmBefore) / seconds;
        System.out.printf("idle wake-ups per second: seqbus sub (all threads) %.1f, DEDICATED socket %.1f, shm %.1f%n",
            subRate, socketRate, shmRate);

        assertThat(subRate).as("wake-ups/s of an idle seqbus sub").isLessThanOrEqualTo(SUB_PROCESS_MAX_PER_SECOND);
        assertThat(socketRate).as("wake-ups/s of an idle DEDICATED client's thread on the socket")
            .isLessThanOrEqualTo(CLIENT_THREAD_MAX_PER_SECOND);
        assertThat(shmRate).as("wake-ups/s of an idle DEDICATED client's thread on shared memory")
            .isLessThanOrEqualTo(CLIENT_THREAD_MAX_PER_SECOND);

        final BusClient publisher = client(socket, new ClientOptions());
        publisher.publish("idle.after", "after the idle stretch");
        publisher.sync(WAIT);
        await().atMost(WAIT).until(() -> onSocket.get() == 1 && onShm.get() == 1 &&
            new String(sub.stdout(), StandardCharsets.UTF_8).contains("after the idle stretch\n"));
        assertThat(sub.process().isAlive()).isTrue();
    }

    /** @return the task folder of the thread of that name in the process. */
    private static Path thread(final long pid, final String name) throws IOException
    {
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "task")))
        {
            for (final Path task : tasks)
            {
                if (Files.readString(task.resolve("comm")).strip().equals(name))
                {
                    return task;
                }
            }
        }
        throw new AssertionError("no thread named " + name + " in process " + pid);
    }

    /** @return each thread's wake-ups so far. */
    private static Map<Path, Long> processWakeUps(final long pid) throws IOException
    {
        final Map<Path, Long> byThread = new HashMap<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "task")))
        {
            for (final Path task : tasks)
            {
                try
                {
                    byThread.put(task, wakeUps(task));
                }
                catch (final IOException gone)
                {
                    // a thread that ended meanwhile
                }
            }
        }
        return byThread;
    }

    /** @return the wake-ups since then of the threads there now (one that started meanwhile: all of its). */
    private static long sinceThen(final Map<Path, Long> then, final Map<Path, Long> now)
    {
        long sum = 0;
        for (final Map.Entry<Path, Long> thread : now.entrySet())
        {
            sum += thread.getValue() - then.getOrDefault(thread.getKey(), 0L);
        }
        return sum;
    }

    private static long wakeUps(final Path task) throws IOException
    {
        for (final String line : Files.readAllLines(task.resolve("status")))
        {
            if (line.startsWith("voluntary_ctxt_switches:"))
            {
                return Long.parseLong(line.substring(line.indexOf(':') + 1).strip());
            }
        }
        throw new AssertionError("no voluntary_ctxt_switches in " + task);
    }
}
