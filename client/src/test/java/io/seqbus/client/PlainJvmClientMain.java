package io.seqbus.client;

import io.seqbus.wire.SafeBuffer;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

import static io.seqbus.wire.Protocol.BYTE_ORDER;

/**
 * The client's whole path in a JVM that the test started with no flags at all ({@code java -cp CLIENT_CLASS_PATH
 * io.seqbus.client.PlainJvmClientMain SOCKET}): in {@link ThreadMode#POLL} and then {@link ThreadMode#DEDICATED} it
 * connects, subscribes, publishes {@value #COUNT} messages (publish and tryPublish, from byte[], String and a
 * {@link SafeBuffer}) and receives them in order, has the broker restarted (it prints {@code RESTART} and waits for
 * a line on stdin), reconnects, does it again, unsubscribes and closes. Exits 0 when all went well, 1 with the
 * reason on stderr otherwise; an IllegalAccessError from Agrona's Unsafe access is such a reason.
 * <p>
 * Then descriptors ({@code SOCKET descriptors} or {@code SOCKET no-descriptors}, what the class path allows): with
 * JNA and seqbus-sys on it, a payload over max_payload and a loan travel as sealed memfds to a subscriber of the same
 * client, bytes equal, in a JVM without flags ({@code DESCRIPTORS on}); without them, the client connects without
 * descriptors and refuses such a payload at the call ({@code DESCRIPTORS off}).
 */
public final class PlainJvmClientMain
{
    static final int COUNT = 1_000;
    static final String RESTART = "RESTART";
    static final String DONE = "DONE";
    static final String DESCRIPTORS = "DESCRIPTORS";
    private static final Duration WAIT = Duration.ofSeconds(20);

    private final String socket;
    private final BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    private final ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();

    private PlainJvmClientMain(final String socket)
    {
        this.socket = socket;
    }

    public static void main(final String[] args)
    {
        final Thread watchdog = new Thread(() ->
        {
            try
            {
                Thread.sleep(120_000);
                System.err.println("plain JVM client: timed out");
                System.exit(3);
            }
            catch (final InterruptedException ignored)
            {
                // done in time
            }
        });
        watchdog.setDaemon(true);
        watchdog.start();
        try
        {
            final PlainJvmClientMain main = new PlainJvmClientMain(args[0]);
            for (final ThreadMode mode : ThreadMode.values())
            {
                main.run(mode);
            }
            if (args.length > 1)
            {
                main.descriptors("descriptors".equals(args[1]));
            }
            System.out.println(DONE);
            System.out.flush();
            System.exit(0);
        }
        catch (final Throwable ex)
        {
            ex.printStackTrace();
            System.exit(1);
        }
    }

    private void run(final ThreadMode mode) throws Exception
    {
        final AtomicInteger connects = new AtomicInteger();
        final AtomicInteger reconnectGaps = new AtomicInteger();
        final Received received = new Received();
        final ClientOptions options = new ClientOptions()
            .socket(socket)
            .clientName("plain-jvm-" + mode.name().toLowerCase())
            .threadMode(mode)
            .reconnectBackoff(Duration.ofMillis(5), Duration.ofMillis(50))
            .errorHandler(new ErrorHandler()
            {
                public void onError(final BusError error)
                {
                    if (error.code() != ErrorCode.SHUTTING_DOWN)
                    {
                        failures.add(new IllegalStateException("ERROR from the broker: " + error));
                    }
                }

                public void onHandlerException(final Throwable ex)
                {
                    failures.add(ex);
                }
            })
            .gapHandler(gap ->
            {
                if (gap.reason() == GapReason.RECONNECTED)
                {
                    reconnectGaps.incrementAndGet();
                }
                else
                {
                    failures.add(new IllegalStateException("unexpected " + gap));
                }
            })
            .connectionListener(new ConnectionListener()
            {
                public void onConnected(final BusClient client)
                {
                    connects.incrementAndGet();
                }
            });
        try (BusClient bus = BusClient.connect(options))
        {
            final Subscription subscription = bus.subscribe("plain.>", received);
            bus.sync(WAIT);
            check(subscription.isActive(), "subscription refused: " + subscription.error());

            publishAndReceive(bus, mode, received);

            System.out.println(RESTART + " " + mode);
            System.out.flush();
            check(stdin.readLine() != null, "stdin closed before the broker was restarted");
            awaitTrue(bus, mode, () -> connects.get() == 2 && reconnectGaps.get() == 1 && bus.isConnected(),
                "reconnect (connects " + connects + ", RECONNECTED gaps " + reconnectGaps + ")");
            received.restart();
            bus.sync(WAIT);
            publishAndReceive(bus, mode, received);

            if (mode == ThreadMode.DEDICATED)
            {
                services(bus);
            }
            subscription.close();
            bus.sync(WAIT);
            bus.publish("plain.after", "nobody listens");
            bus.sync(WAIT);
            drain(bus, mode);
            check(received.count == COUNT, "a message arrived after unsubscribe: " + received.count);
            check(failures.isEmpty(), "failures: " + failures);
        }
        checkFailures();
        System.err.println("plain JVM client: " + mode + " ok on Java " + Runtime.version());
    }

    // Issue 19 without --add-exports: headers built and read, a pulled copy, and a request answered.
    private static void services(final BusClient bus) throws Exception
    {
        final Subscription pulled = bus.subscribe("jvm.svc.>", SubscriptionOptions.pull());
        final Subscription answering = bus.subscribe("jvm.rpc", message -> message.reply(message.payloadAsString()
            .toUpperCase(java.util.Locale.ROOT).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        bus.sync(WAIT);
        bus.publish("jvm.svc.a", "h", Headers.of("traceparent", "00-1-01"));
        final Message copy = pulled.next(WAIT);
        check(copy != null && "h".equals(copy.payloadAsString()) &&
            "00-1-01".equals(copy.headers().get("traceparent")), "pulled message with headers: " + copy);
        final Message reply = bus.request("jvm.rpc", "ping".getBytes(java.nio.charset.StandardCharsets.UTF_8), WAIT)
            .get(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
        check("PING".equals(reply.payloadAsString()), "reply: " + reply.payloadAsString());
        pulled.close();
        answering.close();
    }

    private void descriptors(final boolean expected) throws Exception
    {
        final ClientOptions options = new ClientOptions().socket(socket).clientName("plain-jvm-descriptors");
        check(options.descriptors() == expected, "descriptors by default: " + options.descriptors());
        try (BusClient bus = BusClient.connect(options))
        {
            check(bus.passesDescriptors() == expected, "the connection passes descriptors: " + bus.passesDescriptors());
            final byte[] large = new byte[bus.maxPayload() + 1];
            for (int i = 0; i < large.length; i++)
            {
                large[i] = (byte)(i * 13);
            }
            if (!expected)
            {
                try
                {
                    bus.publish("plain.memfd", large);
                    throw new IllegalStateException("a payload over max_payload went out without descriptors");
                }
                catch (final IllegalArgumentException refused)
                {
                    // as before issue 14
                }
                System.out.println(DESCRIPTORS + " off");
                System.out.flush();
                return;
            }
            final ConcurrentLinkedQueue<String> got = new ConcurrentLinkedQueue<>();
            bus.subscribe("plain.memfd.>", message ->
            {
                final java.util.zip.CRC32 crc = new java.util.zip.CRC32();
                crc.update(message.payloadBuffer());
                got.add(message.topic() + " " + message.isMemfdPayload() + " " + message.payloadLength() + " " +
                    crc.getValue());
            });
            bus.sync(WAIT);
            bus.publish("plain.memfd.bytes", large);
            try (Loan loan = bus.loan(1 << 20))
            {
                loan.buffer().put(0, large, 0, 1 << 16);
                bus.publish("plain.memfd.loan", loan);
            }
            final java.util.zip.CRC32 crc = new java.util.zip.CRC32();
            crc.update(large);
            final long largeCrc = crc.getValue();
            crc.reset();
            crc.update(large, 0, 1 << 16);
            crc.update(new byte[(1 << 20) - (1 << 16)]);
            final String expectedLines = "[plain.memfd.bytes true " + large.length + " " + largeCrc +
                ", plain.memfd.loan true " + (1 << 20) + " " + crc.getValue() + "]";
            awaitTrue(bus, ThreadMode.DEDICATED, () -> got.size() == 2, "two memfd payloads (got " + got + ")");
            check(got.toString().equals(expectedLines), "memfd payloads: " + got + ", expected " + expectedLines);
            System.out.println(DESCRIPTORS + " on");
            System.out.flush();
        }
    }

    /** Publishes COUNT messages in order through every publish variant and waits until all came back. */
    private void publishAndReceive(final BusClient bus, final ThreadMode mode, final Received received)
        throws Exception
    {
        final byte[] bytes = new byte[16];
        final ByteBuffer bytesView = ByteBuffer.wrap(bytes).order(BYTE_ORDER);
        final SafeBuffer direct = new SafeBuffer(ByteBuffer.allocateDirect(64));
        for (int i = 0; i < COUNT; i++)
        {
            switch (i % 5)
            {
                case 0:
                    bytesView.putInt(0, i);
                    bus.publish("plain.bytes", bytes);
                    break;
                case 1:
                    bus.publish("plain.text", Integer.toString(i));
                    break;
                case 2:
                    direct.putInt(8, i, BYTE_ORDER);
                    bus.publish("plain.buffer", direct, 8, 16);
                    break;
                case 3:
                    bytesView.putInt(0, i);
                    while (bus.tryPublish("plain.try.bytes", bytes) != PublishResult.OK)
                    {
                        drain(bus, mode);
                    }
                    break;
                default:
                    direct.putInt(0, i, BYTE_ORDER);
                    while (bus.tryPublish("plain.try.buffer", direct, 0, 4) != PublishResult.OK)
                    {
                        drain(bus, mode);
                    }
                    break;
            }
            if (mode == ThreadMode.POLL && i % 64 == 0)
            {
                bus.poll();
            }
        }
        bus.flush();
        awaitTrue(bus, mode, () -> received.count == COUNT || !failures.isEmpty(),
            "all " + COUNT + " messages (got " + received.count + ")");
        checkFailures();
    }

    private void drain(final BusClient bus, final ThreadMode mode)
    {
        if (mode == ThreadMode.POLL)
        {
            bus.poll();
        }
        else
        {
            Thread.onSpinWait();
        }
    }

    private void awaitTrue(
        final BusClient bus, final ThreadMode mode, final java.util.function.BooleanSupplier condition,
        final String what) throws InterruptedException
    {
        final long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean())
        {
            check(System.nanoTime() - deadline < 0, "timed out waiting for " + what);
            if (mode == ThreadMode.POLL)
            {
                if (bus.poll() == 0)
                {
                    Thread.sleep(1);
                }
            }
            else
            {
                Thread.sleep(1);
            }
        }
    }

    private void checkFailures()
    {
        final Throwable failure = failures.peek();
        if (failure != null)
        {
            final IllegalStateException ex = new IllegalStateException("failed: " + failures);
            ex.initCause(failure);
            throw ex;
        }
    }

    private static void check(final boolean condition, final String message)
    {
        if (!condition)
        {
            throw new IllegalStateException(message);
        }
    }

    /** Checks every message against the one expected next: topic, payload and per-publisher sequence. */
    private final class Received implements MessageHandler
    {
        volatile int count;
        private long lastSequence;

        void restart()
        {
            count = 0;
        }

        public void onMessage(final Message message)
        {
            final int i = count;
            final String topic = message.topic();
            final int value;
            switch (i % 5)
            {
                case 0:
                    expect(topic.equals("plain.bytes") && message.payloadLength() == 16, message, i);
                    value = message.payload().getInt(message.payloadIndex(), BYTE_ORDER);
                    break;
                case 1:
                    expect(topic.equals("plain.text"), message, i);
                    value = Integer.parseInt(message.payloadAsString());
                    break;
                case 2:
                    expect(topic.equals("plain.buffer") && message.payloadLength() == 16, message, i);
                    value = ByteBuffer.wrap(message.payloadAsBytes()).order(BYTE_ORDER).getInt(0);
                    break;
                case 3:
                    expect(topic.equals("plain.try.bytes") && message.payloadLength() == 16, message, i);
                    value = message.buffer().getInt(message.payloadIndex(), BYTE_ORDER);
                    break;
                default:
                    expect(topic.equals("plain.try.buffer") && message.payloadLength() == 4, message, i);
                    value = message.payload().getInt(message.payloadIndex(), BYTE_ORDER);
                    break;
            }
            expect(value == i, message, i);
            expect(i == 0 || message.sequence() == lastSequence + 1, message, i);
            lastSequence = message.sequence();
            count = i + 1;
        }

        private void expect(final boolean condition, final Message message, final int expected)
        {
            if (!condition)
            {
                throw new IllegalStateException("message " + expected + " expected, got " + message);
            }
        }
    }
}
