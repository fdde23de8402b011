package io.seqbus.broker.systemd;

import java.util.Map;

/**
 * systemd's socket-activation protocol (sd_listen_fds(3)): {@code LISTEN_PID} names the process
 * the sockets are for, {@code LISTEN_FDS} counts them from fd 3 on, {@code LISTEN_FDNAMES} names
 * them (colon-separated), each name being the socket unit's {@code FileDescriptorName=}, by
 * default the unit's name.
 */
public final class SocketActivation
{
    /** First inherited descriptor, as sd_listen_fds(3) defines it. */
    public static final int LISTEN_FDS_START = 3;
    /** Value meaning "not socket-activated". */
    public static final int NONE = -1;
    /**
     * {@code FileDescriptorName=} of the metrics port's socket unit ({@code seqbus-metrics.socket}): never
     * the bus socket, even when it is the only socket passed.
     */
    public static final String METRICS_FD_NAME = "metrics";

    private SocketActivation()
    {
    }

    /**
     * Finds the listening socket this process was handed, if any.
     *
     * @param env the process environment.
     * @param pid this process's id; sockets meant for another process (a parent that exec'd a
     *            wrapper, say) are not ours.
     * @param names accepted {@code LISTEN_FDNAMES} entries when several sockets are passed.
     * @return the descriptor, or {@link #NONE} when the broker should bind its own socket.
     * @throws IllegalStateException when sockets were passed but none can be chosen.
     */
    public static int listenFd(final Map<String, String> env, final long pid, final String... names)
    {
        final String listenPid = env.get("LISTEN_PID");
        final String listenFds = env.get("LISTEN_FDS");
        if (listenPid == null || listenFds == null)
        {
            return NONE;
        }
        if (!listenPid.trim().equals(Long.toString(pid)))
        {
            return NONE;
        }
        final int count;
        try
        {
            count = Integer.parseInt(listenFds.trim());
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalStateException("LISTEN_FDS=" + listenFds + " is not a number");
        }
        if (count <= 0)
        {
            return NONE;
        }
        final String fdNames = env.get("LISTEN_FDNAMES");
        if (count == 1 && (fdNames == null || !fdNames.equals(METRICS_FD_NAME)))
        {
            return LISTEN_FDS_START;
        }
        if (fdNames != null)
        {
            final String[] passed = fdNames.split(":", -1);
            for (int i = 0; i < passed.length && i < count; i++)
            {
                for (final String name : names)
                {
                    if (passed[i].equals(name))
                    {
                        return LISTEN_FDS_START + i;
                    }
                }
            }
        }
        throw new IllegalStateException("LISTEN_FDS=" + count + " sockets passed and none is named " +
            String.join(" or ", names) + " in LISTEN_FDNAMES=" + fdNames + "; allowed: one socket, or one with that name");
    }

    /**
     * Finds the socket passed under one name only ({@code LISTEN_FDNAMES}), such as the metrics port.
     *
     * @param env  the process environment.
     * @param pid  this process's id.
     * @param name the {@code FileDescriptorName=} to look for.
     * @return the descriptor, or {@link #NONE} when no socket of that name was passed to this process.
     */
    public static int namedFd(final Map<String, String> env, final long pid, final String name)
    {
        final String listenPid = env.get("LISTEN_PID");
        final String listenFds = env.get("LISTEN_FDS");
        final String fdNames = env.get("LISTEN_FDNAMES");
        if (listenPid == null || listenFds == null || fdNames == null || !listenPid.trim().equals(Long.toString(pid)))
        {
            return NONE;
        }
        final int count;
        try
        {
            count = Integer.parseInt(listenFds.trim());
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalStateException("LISTEN_FDS=" + listenFds + " is not a number");
        }
        final String[] passed = fdNames.split(":", -1);
        for (int i = 0; i < passed.length && i < count; i++)
        {
            if (passed[i].equals(name))
            {
                return LISTEN_FDS_START + i;
            }
        }
        return NONE;
    }
}
