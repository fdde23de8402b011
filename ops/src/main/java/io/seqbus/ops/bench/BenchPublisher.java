package io.seqbus.ops.bench;

import io.seqbus.client.BusClient;
import io.seqbus.client.Headers;
import io.seqbus.client.Loan;
import io.seqbus.wire.SafeBuffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.locks.LockSupport;

/**
 * One publishing connection of a {@link Bench} run, on a thread of its own: as fast as the bus takes them, or at
 * its share of --rate. Every payload starts with its send time and number (the subscribers' latency and loss come
 * from those); inline up to the broker's max_payload, else a loan (a sealed memfd), or with --copy-alternative the
 * same bytes in publishes of {@link Bench#PIECE}.
 */
final class BenchPublisher
{
    private final Bench.Settings settings;
    private final BusClient client;
    private final Thread thread;
    private final SafeBuffer payload;
    /** With --headers: built once, as a service would, and sent with every inline message. */
    private final Headers headers;
    /** Over the broker's max_payload a payload can only be a memfd (unless copied in pieces). */
    private final boolean memfd;
    /** With --touch: what the publisher writes into each loan, every byte. */
    private final ByteBuffer content;
    private volatile boolean publishing = true;
    /** 1 in the measured window, else 0: added, not branched on, so the window's start changes no compiled code. */
    private volatile int measuring;
    // Written by the publishing thread, read after it ended (join).
    private long sent;
    private long sentMeasured;

    BenchPublisher(final Bench.Settings settings, final BusClient client)
    {
        this.settings = settings;
        this.client = client;
        this.thread = new Thread(this::publish, "bench-publisher");
        headers = Bench.benchHeaders(settings.headers);
        memfd = !settings.copyAlternative && settings.size + headers.encodedLength() > client.maxPayload();
        payload = new SafeBuffer(ByteBuffer.allocateDirect(settings.copyAlternative ?
            Math.min(Bench.PIECE, settings.size) : memfd ? 16 : settings.size));
        content = memfd && settings.touch ? ByteBuffer.allocateDirect(settings.size) : null;
        for (int i = 0; content != null && i < settings.size; i++)
        {
            content.put(i, (byte)(i * 31));
        }
    }

    BusClient client()
    {
        return client;
    }

    /** @return true when its payloads go as memfds (loans). */
    boolean memfd()
    {
        return memfd;
    }

    void start()
    {
        thread.start();
    }

    /** From here on what it sends counts as sent in the measured window. */
    void measuring(final boolean measuring)
    {
        this.measuring = measuring ? 1 : 0;
    }

    /** Stops publishing (any thread); {@link #join} waits for the last publish. */
    void stop()
    {
        publishing = false;
    }

    void join() throws InterruptedException
    {
        thread.join();
    }

    /** @return messages published, after {@link #join}. */
    long sent()
    {
        return sent;
    }

    /** @return messages published in the measured window, after {@link #join}. */
    long sentMeasured()
    {
        return sentMeasured;
    }

    private void publish()
    {
        final long perPublisherRate = settings.rate / settings.publishers;
        final long intervalNs = perPublisherRate > 0 ? 1_000_000_000L / perPublisherRate : 0;
        final long start = System.nanoTime();
        while (publishing)
        {
            if (intervalNs > 0)
            {
                // Sleep, never spin: on 2 cores a spinning publisher steals the very CPU the
                // broker and subscribers need, and the send time is taken after waking anyway.
                final long due = start + sent * intervalNs;
                long now;
                while ((now = System.nanoTime()) < due)
                {
                    LockSupport.parkNanos(due - now);
                }
            }
            if (settings.copyAlternative)
            {
                publishPieces();
            }
            else if (memfd)
            {
                publishLoan();
            }
            else
            {
                payload.putLong(0, System.nanoTime());
                payload.putLong(8, sent);
                if (headers.isEmpty())
                {
                    client.publish(settings.topic, payload, 0, settings.size);
                }
                else
                {
                    client.publish(settings.topic, payload, 0, settings.size, headers);
                }
            }
            sent++;
            sentMeasured += measuring;
        }
    }

    private void publishLoan()
    {
        // The send time comes first: creating and mapping the memfd is part of publishing it.
        final long now = System.nanoTime();
        try (Loan loan = client.loan(settings.size))
        {
            final ByteBuffer b = loan.buffer().order(ByteOrder.nativeOrder());
            if (content != null)
            {
                b.put(0, content, 0, settings.size); // every byte, as an application fills it
            }
            b.putLong(0, now);
            b.putLong(8, sent);
            client.publish(settings.topic, loan);
        }
    }

    private void publishPieces()
    {
        final int pieces = (settings.size + Bench.PIECE - 1) / Bench.PIECE;
        payload.putLong(0, System.nanoTime());
        payload.putLong(8, sent);
        payload.putInt(SubscriberTally.PIECE_COUNT, pieces);
        for (int i = 0; i < pieces; i++)
        {
            payload.putInt(SubscriberTally.PIECE_INDEX, i);
            client.publish(settings.topic, payload, 0, Math.min(Bench.PIECE, settings.size - i * Bench.PIECE));
        }
    }
}
