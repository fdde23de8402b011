package io.seqbus.broker;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.config.Settings;
import io.seqbus.broker.config.SettingException;
import io.seqbus.broker.log.Log;
import io.seqbus.sys.LibC;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The broker's descriptors against RLIMIT_NOFILE. At most {@code max_descriptor_messages_held x
 * max_descriptors_per_message} passed descriptors are open in the broker at once, one per connection, and up to
 * {@code max_descriptors_in_flight} more sit unread in subscribers' sockets, where the kernel counts them against
 * the broker's user (past its RLIMIT_NOFILE sendmsg fails ETOOMANYREFS). At start the broker raises its soft limit
 * to the hard one (further, up to what the settings need, where it may: CAP_SYS_RESOURCE). It refuses to start
 * when the in-flight bound and the connections alone cannot fit, naming the settings; when only the worst case
 * of held messages does not fit it warns: at the limit a receive is cut and refused DESCRIPTORS_TRUNCATED, so the
 * defaults (45,056 descriptors at worst) still start where the hard limit is lower (20,000 in some containers).
 */
final class DescriptorBudget
{
    private static final int RLIMIT_LENGTH = 16;

    private DescriptorBudget()
    {
    }

    /**
     * @param context concluded settings.
     * @return descriptors the settings may have open or in flight at once, besides what the JVM holds.
     */
    static long needed(final BrokerContext context)
    {
        return (long)context.maxDescriptorsInFlight() +
            (long)context.maxDescriptorMessagesHeld() * context.maxDescriptorsPerMessage() + context.maxConnections();
    }

    /**
     * Raises RLIMIT_NOFILE's soft limit to the hard one, or to what the settings need where that is more and the
     * process may raise the hard limit too, then checks they fit.
     *
     * @param context concluded settings.
     * @throws SettingException naming max_descriptors_in_flight when it and max_connections do not fit.
     */
    static void raiseAndCheck(final BrokerContext context)
    {
        final long needed = needed(context) + openDescriptors();
        final UnsafeBuffer limits = new UnsafeBuffer(BufferUtil.allocateDirectAligned(RLIMIT_LENGTH, 8));
        if (LibC.getrlimit(LibC.RLIMIT_NOFILE, limits.addressOffset()) != 0)
        {
            return; // cannot happen on Linux; nothing to check against
        }
        final long hard = limits.getLong(8);
        final long soft = limits.getLong(0);
        if (needed > hard)
        {
            limits.putLong(0, needed);
            limits.putLong(8, needed);
            if (LibC.setrlimit(LibC.RLIMIT_NOFILE, limits.addressOffset()) == 0)
            {
                return; // privileged: raised the hard limit as far as the settings need
            }
        }
        if (soft < hard)
        {
            limits.putLong(0, hard);
            limits.putLong(8, hard);
            LibC.setrlimit(LibC.RLIMIT_NOFILE, limits.addressOffset());
        }
        final long open = openDescriptors();
        final long floor = (long)context.maxDescriptorsInFlight() + context.maxConnections() + open;
        if (floor > hard)
        {
            throw SettingException.of(Settings.MAX_DESCRIPTORS_IN_FLIGHT, context.maxDescriptorsInFlight(),
                "does not fit RLIMIT_NOFILE " + hard + ": with max_connections " + context.maxConnections() +
                " and the " + open + " open now the broker may need " + floor + " descriptors before it holds any " +
                "message; lower them or raise LimitNOFILE (ulimit -Hn)");
        }
        if (needed > hard)
        {
            // Not fatal: at the limit a receive is cut (MSG_CTRUNC) and that publisher refused DESCRIPTORS_TRUNCATED
            // with a reason naming the broker's open count and limit; nothing leaks, nobody else is affected.
            Log.warn("max_descriptor_messages_held " + context.maxDescriptorMessagesHeld() + " x " +
                "max_descriptors_per_message " + context.maxDescriptorsPerMessage() + " + max_descriptors_in_flight " +
                context.maxDescriptorsInFlight() + " + max_connections " + context.maxConnections() + " may need " +
                needed + " descriptors, RLIMIT_NOFILE is " + hard + ": when that many are held, publishers of " +
                "descriptors are refused DESCRIPTORS_TRUNCATED; lower them or raise LimitNOFILE");
        }
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
