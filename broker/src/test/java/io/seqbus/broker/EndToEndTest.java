package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.config.Settings;
import io.seqbus.broker.counters.BrokerCounters;
import io.seqbus.client.BusClient;
import io.seqbus.client.ClientOptions;
import io.seqbus.client.Message;
import io.seqbus.client.ThreadMode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Eight publishers and eight subscribers with overlapping patterns on a real broker: every
 * subscriber gets exactly the messages its pattern matches, in order per publisher, once.
 */
class EndToEndTest
{
    private static final String[] TOPICS = {"t.eu.a", "t.eu.b", "t.us.a", "t.us.b", "u.eu.a"};
    private static final String[] PATTERNS = {">", "t.>", "t.eu.>", "t.*.a", "t.us.b", "*.eu.a", "t.*.*", "x.>"};
    private static final int PUBLISHERS = 8;
    private static final int PER_PUBLISHER = 2_000;

    @TempDir
    Path dir;

    static IntStream spins()
    {
        return IntStream.of(Settings.IDLE_SPIN_CYCLES.defaultValue(), 0);
    }

    /** With the default spin and with none: an agent that sleeps in poll(2) after every cycle loses nothing either. */
    @ParameterizedTest(name = "idle_spin_cycles = {0}")
    @MethodSource("spins")
    void everySubscriberGetsExactlyItsMessagesInOrderPerPublisher(final int idleSpinCycles) throws Exception
    {
        final String socket = dir.resolve("bus.sock").toString();
        try (Broker broker = Broker.launch(
            new BrokerContext().socket(socket).nodeName("e2e").idleSpinCycles(idleSpinCycles)))
        {
            final List<BusClient> subscribers = new ArrayList<>();
            final List<ConcurrentLinkedQueue<String>> received = new ArrayList<>();
            final List<ConcurrentLinkedQueue<long[]>> origins = new ArrayList<>();
            for (final String pattern : PATTERNS)
            {
                final BusClient sub = BusClient.connect(options(socket, "sub " + pattern));
                final ConcurrentLinkedQueue<String> payloads = new ConcurrentLinkedQueue<>();
                final ConcurrentLinkedQueue<long[]> seqs = new ConcurrentLinkedQueue<>();
                sub.subscribe(pattern, (Message m) ->
                {
                    payloads.add(m.payloadAsString() + "|" + m.topic());
                    seqs.add(new long[]{m.publisherId(), m.sequence()});
                });
                sub.sync(Duration.ofSeconds(5));
                subscribers.add(sub);
                received.add(payloads);
                origins.add(seqs);
            }

            final ExecutorService pool = Executors.newFixedThreadPool(PUBLISHERS);
            final List<Future<?>> done = new ArrayList<>();
            for (int p = 0; p < PUBLISHERS; p++)
            {
                final int publisher = p;
                done.add(pool.submit(() ->
                {
                    try (BusClient pub = BusClient.connect(options(socket, "pub " + publisher)))
                    {
                        for (int n = 0; n < PER_PUBLISHER; n++)
                        {
                            final String topic = TOPICS[(n + publisher) % TOPICS.length];
                            pub.publish(topic, (publisher + ":" + n).getBytes(StandardCharsets.UTF_8));
                        }
                        pub.sync(Duration.ofSeconds(30));
                    }
                    return null;
                }));
            }
            for (final Future<?> f : done)
            {
                f.get();
            }
            pool.shutdown();

            for (int s = 0; s < PATTERNS.length; s++)
            {
                final List<String> expected = expectedFor(PATTERNS[s]);
                final ConcurrentLinkedQueue<String> got = received.get(s);
                await().atMost(Duration.ofSeconds(30)).until(() -> got.size() >= expected.size());
                subscribers.get(s).sync(Duration.ofSeconds(5));
                assertThat(got).as("pattern %s", PATTERNS[s]).hasSize(expected.size());
                assertInOrderPerPublisher(PATTERNS[s], new ArrayList<>(got), expected);
                assertSequencesIncrease(new ArrayList<>(origins.get(s)));
            }
            for (final BusClient sub : subscribers)
            {
                sub.close();
            }
            assertThat(broker.counters().get(BrokerCounters.MESSAGES_PUBLISHED)).isEqualTo(PUBLISHERS * PER_PUBLISHER);
        }
    }

    private static ClientOptions options(final String socket, final String name)
    {
        return new ClientOptions().socket(socket).clientName(name).threadMode(ThreadMode.DEDICATED);
    }

    private static List<String> expectedFor(final String pattern)
    {
        final List<String> expected = new ArrayList<>();
        for (int p = 0; p < PUBLISHERS; p++)
        {
            for (int n = 0; n < PER_PUBLISHER; n++)
            {
                final String topic = TOPICS[(n + p) % TOPICS.length];
                if (matches(pattern, topic))
                {
                    expected.add(p + ":" + n + "|" + topic);
                }
            }
        }
        return expected;
    }

    /** The reference matcher: plain token-by-token comparison. */
    static boolean matches(final String pattern, final String topic)
    {
        final String[] p = pattern.split("\\.");
        final String[] t = topic.split("\\.");
        for (int i = 0; i < p.length; i++)
        {
            if (p[i].equals(">"))
            {
                return t.length > i;
            }
            if (i >= t.length || !(p[i].equals("*") || p[i].equals(t[i])))
            {
                return false;
            }
        }
        return p.length == t.length;
    }

    private static void assertInOrderPerPublisher(
        final String pattern, final List<String> got, final List<String> expected)
    {
        final Map<String, List<String>> gotBy = byPublisher(got);
        final Map<String, List<String>> expectedBy = byPublisher(expected);
        assertThat(gotBy.keySet()).as("publishers seen by %s", pattern).isEqualTo(expectedBy.keySet());
        for (final String publisher : expectedBy.keySet())
        {
            assertThat(gotBy.get(publisher)).as("pattern %s, publisher %s", pattern, publisher)
                .containsExactlyElementsOf(expectedBy.get(publisher));
        }
    }

    private static Map<String, List<String>> byPublisher(final List<String> items)
    {
        final Map<String, List<String>> by = new HashMap<>();
        for (final String item : items)
        {
            by.computeIfAbsent(item.substring(0, item.indexOf(':')), (k) -> new ArrayList<>()).add(item);
        }
        return by;
    }

    private static void assertSequencesIncrease(final List<long[]> origins)
    {
        final Map<Long, Long> last = new HashMap<>();
        for (final long[] o : origins)
        {
            final Long previous = last.put(o[0], o[1]);
            if (previous != null)
            {
                assertThat(o[1]).as("sequence of publisher %x", o[0]).isGreaterThan(previous);
            }
        }
    }
}
