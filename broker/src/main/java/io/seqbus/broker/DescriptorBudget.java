package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.config.Settings;
import io.seqbus.broker.config.SettingException;
import io.seqbus.broker.log.Log;
import io.seqbus.sys.LibC;
import io.seqbus.sys.ShmChannel;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The broker's descriptors against RLIMIT_NOFILE, which bounds two different things. Its descriptor table: one
 * per connection (and two eventfds per shared-memory client), what the JVM and the LAN bridge hold, and the passed descriptors it holds (at most
 * {@code max_descriptor_messages_held x max_descriptors_per_message}, and never more than the table has left:
 * {@link #heldLimit}, which the descriptor pool enforces by holding publishers back, so one publisher's descriptors
 * can never cut another's receive or a new client's accept). And, separately, the descriptors it has sent that sit
 * unread in subscribers' sockets, which the kernel counts against the broker's user (past RLIMIT_NOFILE, sendmsg
 * fails ETOOMANYREFS): at most {@code max_descriptors_in_flight}. At start the broker raises its soft limit to the
 * hard one (further, where it may: CAP_SYS_RESOURCE), and refuses to start, naming the settings, when the
 * connections leave too little for two datagrams' descriptors or the in-flight bound is over the limit.
 */
final class DescriptorBudget
{
    private static final int RLIMIT_LENGTH = 16;

    /** Descriptors kept free besides the connections: log files, metrics connections, the JVM's own, accept. */
    static final int MARGIN = 256;

    private DescriptorBudget()
    {
    }

    /**
     * @param context concluded settings.
     * @return descriptors the settings may have open at once in the broker's table at worst, besides what it has
     * open before the first client.
     */
    static long needed(final BrokerContext context)
    {
        return (long)context.maxDescriptorMessagesHeld() * context.maxDescriptorsPerMessage() +
            perConnection(context) + MARGIN;
    }

    /**
     * @param context concluded settings.
     * @return descriptors the connections hold at most: one socket each, and two eventfds more for each one on
     * shared memory (issue 15; its memfd is closed once sent, the mapping keeps it), of which max_shm_bytes_total
     * allows only so many.
     */
    static long perConnection(final BrokerContext context)
    {
        final long shmClients = context.shm() ?
            Math.min(context.maxConnections(), context.maxShmBytesTotal() /
                ShmChannel.size(context.shmRingBytes(), context.shmRingBytes())) : 0;
        return context.maxConnections() + 2 * shmClients;
    }

    /**
     * Raises RLIMIT_NOFILE's soft limit to the hard one, or to what the settings need where that is more and the
     * process may raise the hard limit too, then checks they fit.
     *
     * @param context concluded settings.
     * @throws SettingException naming the setting that does not fit.
     */
    static void raiseAndCheck(final BrokerContext context)
    {
        final long wanted = Math.max(needed(context) + openDescriptors(), context.maxDescriptorsInFlight());
        final UnsafeBuffer limits = new UnsafeBuffer(BufferUtil.allocateDirectAligned(RLIMIT_LENGTH, 8));
        if (LibC.getrlimit(LibC.RLIMIT_NOFILE, limits.addressOffset()) != 0)
        {
            return; // cannot happen on Linux; nothing to check against
        }
        final long hard = limits.getLong(8);
        final long soft = limits.getLong(0);
        boolean raised = false;
        if (wanted > hard)
        {
            limits.putLong(0, wanted);
            limits.putLong(8, wanted);
            raised = LibC.setrlimit(LibC.RLIMIT_NOFILE, limits.addressOffset()) == 0;
        }
        if (!raised && soft < hard)
        {
            limits.putLong(0, hard);
            limits.putLong(8, hard);
            LibC.setrlimit(LibC.RLIMIT_NOFILE, limits.addressOffset());
        }
        final long limit = limit();
        if (context.maxDescriptorsInFlight() > limit)
        {
            throw SettingException.of(Settings.MAX_DESCRIPTORS_IN_FLIGHT, context.maxDescriptorsInFlight(),
                "is over RLIMIT_NOFILE " + limit + ": the kernel refuses the broker's sends (ETOOMANYREFS) past it; " +
                "lower it or raise LimitNOFILE (ulimit -Hn)");
        }
        final long held = heldLimit(context);
        if (held < 2L * context.maxDescriptorsPerDatagram())
        {
            throw SettingException.of(Settings.MAX_CONNECTIONS, context.maxConnections(),
                "leaves " + held + " of RLIMIT_NOFILE " + limit + " for passed descriptors (" + openDescriptors() +
                " open now, " + MARGIN + " kept free), fewer than two datagrams' worth (2 x " +
                "max_descriptors_per_datagram " + context.maxDescriptorsPerDatagram() + "); lower them or raise " +
                "LimitNOFILE (ulimit -Hn)");
        }
    }

    /**
     * Says once, at start, when RLIMIT_NOFILE rather than the settings bounds the descriptors held.
     *
     * @param context concluded settings.
     * @param held    what {@link #heldLimit} gave.
     */
    static void report(final BrokerContext context, final int held)
    {
        final long worst = (long)context.maxDescriptorMessagesHeld() * context.maxDescriptorsPerMessage();
        if (held < worst)
        {
            Log.info("RLIMIT_NOFILE " + limit() + " leaves " + held + " descriptors for held messages (" +
                "max_descriptor_messages_held " + context.maxDescriptorMessagesHeld() + " x " +
                "max_descriptors_per_message " + context.maxDescriptorsPerMessage() + " would be " + worst +
                "): publishers of descriptors wait when that many are held");
        }
    }

    /**
     * What the broker's table leaves for passed descriptors now (after {@link #raiseAndCheck}; called once the
     * listener and the LAN bridge are open, so their descriptors are counted).
     *
     * @param context concluded settings.
     * @return most descriptors the pool may hold at once.
     */
    static int heldLimit(final BrokerContext context)
    {
        final long limit = limit();
        final long worst = (long)context.maxDescriptorMessagesHeld() * context.maxDescriptorsPerMessage();
        if (limit < 0)
        {
            return (int)Math.min(Integer.MAX_VALUE, worst);
        }
        final long left = limit - perConnection(context) - Math.max(0, openDescriptors()) - MARGIN;
        return (int)Math.max(0, Math.min(Math.min(Integer.MAX_VALUE, worst), left));
    }

    /** @return RLIMIT_NOFILE's soft limit now, -1 when unknown. */
    static long limit()
    {
        final UnsafeBuffer limits = new UnsafeBuffer(BufferUtil.allocateDirectAligned(RLIMIT_LENGTH, 8));
        return LibC.getrlimit(LibC.RLIMIT_NOFILE, limits.addressOffset()) == 0 ? limits.getLong(0) : -1;
    }

    /**
     * Off the hot path (a refusal's reason, the start): lists /proc/self/fd.
     *
     * @return descriptors this process has open, -1 when unknown.
     */
    static int openDescriptors()
    {
        int n = 0;
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd")))
        {
            for (final Path ignored : fds)
            {
                n++;
            }
            return n - 1; // the stream's own descriptor
        }
        catch (final IOException ex)
        {
            return -1;
        }
    }
}
