package io.seqbus.ops;

import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.Loan;
import io.seqbus.client.SlowConsumerPolicy;
import io.seqbus.client.SubscriptionOptions;
import io.seqbus.client.ThreadMode;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The broker gives back every descriptor it took: subscriber processes killed with -9 while they hold descriptors
 * (open in the process, and unread in their sockets), slow subscribers under each policy (evicted, dropping, held),
 * and 100,000 memfd messages through a real broker process; afterwards its {@code /proc/PID/fd} count is where it
 * started and it holds no memfd.
 */
class DescriptorChurnIT extends CliTestBase
{
    private static final int MESSAGES = 100_000;
    private static final int KILL_HOLDERS_AT = 30_000;
    private static final int PAYLOAD = 4096;
    private static final String PYTHON = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
    private static final Path PYTHON_CLIENT = ROOT.resolve("examples").resolve("python");
    private static final int BLOCK = 1;
    private static final int DROP_OLDEST = 2;
    private static final int DROP_NEWEST = 3;
    private static final int DISCONNECT = 4;

    @Test
    void killedHoldersSlowSubscribersAndAHundredThousandMessagesLeaveTheBrokersDescriptorsWhereTheyStarted()
        throws Exception
    {
        final String socket = dir.resolve("churn.sock").toString();
        // A block subscriber that never reads holds publishers back until the stall timeout evicts it.
        final long broker = broker(socket, "stall_timeout_ms = 1000\n").process().pid();
        warmUp(socket);
        await().atMost(WAIT).until(() -> memfds(broker) == 0);
        final long baseline = descriptors(broker);

        final List<Python> holders = new ArrayList<>();
        for (final int policy : new int[]{DROP_NEWEST, DROP_OLDEST})
        {
            holders.add(python(socket, policy, "hold"));
        }
        final List<Python> sleepers = new ArrayList<>();
        for (final int policy : new int[]{BLOCK, DROP_OLDEST, DROP_NEWEST, DISCONNECT})
        {
            sleepers.add(python(socket, policy, "sleep"));
        }
        // A subscriber that reads everything, on a 2-core machine shared with the rest: drop-newest, so that it
        // counts exactly what it missed (GAP DROPPED_NEWEST) instead of holding the publisher back.
        final AtomicLong received = new AtomicLong();
        final AtomicLong lost = new AtomicLong();
        final AtomicLong last = new AtomicLong(-1);
        final AtomicLong wrong = new AtomicLong();
        final BusClient fast = client(socket, new ClientOptions().threadMode(ThreadMode.DEDICATED)
            .gapHandler((gap) -> lost.addAndGet(gap.count())));
        fast.subscribe("churn.>", (m) ->
        {
            final long number = m.payloadBuffer().order(ByteOrder.nativeOrder()).getLong(m.payloadBuffer().position());
            if (!m.isMemfdPayload() || number <= last.getAndSet(number))
            {
                wrong.incrementAndGet();
            }
            received.incrementAndGet();
        }, new SubscriptionOptions().policy(SlowConsumerPolicy.DROP_NEWEST));
        fast.sync(WAIT);

        final BusClient publisher = client(socket, new ClientOptions().threadMode(ThreadMode.DEDICATED)
            .publishTimeout(WAIT));
        final long startNs = System.nanoTime();
        for (int i = 0; i < MESSAGES; i++)
        {
            if (i == KILL_HOLDERS_AT)
            {
                for (final Python holder : holders)
                {
                    assertThat(holder.out().readLine()).startsWith("holding ");
                    kill9(holder.process());
                }
            }
            try (Loan loan = publisher.loan(PAYLOAD))
            {
                loan.buffer().order(ByteOrder.nativeOrder()).putLong(0, i);
                publisher.publish("churn.data", loan);
            }
        }
        publisher.sync(WAIT);
        System.out.printf("DescriptorChurnIT: %d memfd messages published in %.1f s%n", MESSAGES,
            (System.nanoTime() - startNs) / 1e9);
        await().atMost(WAIT).until(() -> received.get() + lost.get() == MESSAGES);
        assertThat(received.get()).as("delivered (%d lost)", lost.get()).isPositive();
        assertThat(wrong.get()).as("deliveries not a memfd, or out of order").isZero();

        sleepers.forEach((p) -> kill9(p.process()));
        publisher.close();
        fast.close();
        await().atMost(WAIT).untilAsserted(() ->
        {
            assertThat(memfds(broker)).as("memfds the broker holds").isZero();
            assertThat(descriptors(broker)).as("the broker's open descriptors").isEqualTo(baseline);
        });
    }

    /** One descriptor message through the broker, so what it opens for good (class files, JNA) is open. */
    private void warmUp(final String socket) throws Exception
    {
        final AtomicLong got = new AtomicLong();
        try (BusClient sub = BusClient.connect(new ClientOptions().socket(socket).threadMode(ThreadMode.DEDICATED));
            BusClient pub = BusClient.connect(new ClientOptions().socket(socket)))
        {
            sub.subscribe("churn.>", (m) -> got.incrementAndGet());
            sub.sync(WAIT);
            try (Loan loan = pub.loan(PAYLOAD))
            {
                pub.publish("churn.warm", loan);
            }
            pub.sync(WAIT);
            await().atMost(WAIT).until(() -> got.get() == 1);
        }
    }

    /** A subscriber process of descriptor-holder.py, and what it prints. */
    private record Python(Process process, BufferedReader out)
    {
    }

    private Python python(final String socket, final int policy, final String mode) throws IOException
    {
        final Process p = new ProcessBuilder(PYTHON, resource("descriptor-holder.py"), socket,
            PYTHON_CLIENT.toString(), "churn.>", Integer.toString(policy), mode)
            .redirectError(dir.resolve("holder-" + mode + "-" + policy + ".err").toFile()).start();
        started.add(p);
        final BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        assertThat(out.readLine()).as("%s %d subscribed", mode, policy).isEqualTo("subscribed");
        return new Python(p, out);
    }

    private static void kill9(final Process p)
    {
        p.destroyForcibly(); // SIGKILL: the process gets no chance to close anything
        try
        {
            p.waitFor();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    private static long descriptors(final long pid) throws IOException
    {
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd")))
        {
            return fds.count();
        }
    }

    private static long memfds(final long pid) throws IOException
    {
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd")))
        {
            return fds.filter(DescriptorChurnIT::isMemfd).count();
        }
    }

    private static boolean isMemfd(final Path fd)
    {
        try
        {
            return Files.readSymbolicLink(fd).toString().startsWith("/memfd:");
        }
        catch (final IOException ex)
        {
            return false; // closed while listed
        }
    }

    private static String resource(final String name)
    {
        return Path.of("src", "test", "resources", name).toAbsolutePath().toString();
    }
}
