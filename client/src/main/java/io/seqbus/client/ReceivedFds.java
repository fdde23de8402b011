package io.seqbus.client;

/**
 * The descriptors that came with the datagram being dispatched, on a connection with DESCRIPTORS: frames take them
 * in order ({@link #take}), and whatever no frame took is closed when the datagram is done ({@link #closeUnused}), so
 * none leaks whatever the frames were. Every descriptor received or closed is counted in the process's
 * {@link FdBudget}. Owned by {@link Inbound}, on the polling side.
 */
final class ReceivedFds
{
    // fds[used, received) are still the client's to hand to their frames or close.
    private int[] fds;
    private int received;
    private int used;
    private boolean truncated;
    // Made at the first use (so no JNA is loaded without a connection with DESCRIPTORS).
    private FdBudget budget;

    /** Before a read: none. */
    void clear()
    {
        received = 0;
        used = 0;
        truncated = false;
    }

    /** After a receive on {@code socket}: its descriptors are the datagram's, counted against the budget. */
    void receivedFrom(final DescriptorSocket socket)
    {
        fds = socket.received();
        received = socket.receivedCount();
        used = 0;
        truncated = socket.truncated();
        if (received > 0)
        {
            budget().received(received);
        }
    }

    /** @return how many came with the datagram. */
    int received()
    {
        return received;
    }

    /** @return true when the kernel cut them short (MSG_CTRUNC: this process at its RLIMIT_NOFILE). */
    boolean truncated()
    {
        return truncated;
    }

    /** @return how many no frame has taken yet. */
    int remaining()
    {
        return received - used;
    }

    /** @return true when the next {@code count} are there: none was cut and the datagram carried that many more. */
    boolean has(final int count)
    {
        return !truncated && used + count <= received;
    }

    /**
     * Hands the next {@code count} to a frame, which closes them or passes them on from here.
     *
     * @return the index of the first, for {@link #fd} and {@link #array}.
     */
    int take(final int count)
    {
        final int from = used;
        used += count;
        return from;
    }

    /** @return the descriptor at {@code index}, one {@link #take} handed out. */
    int fd(final int index)
    {
        return fds[index];
    }

    /** @return the array {@link #take}'s indexes are into; valid until the next receive. */
    int[] array()
    {
        return fds;
    }

    /** Closes {@code count} of those a frame took, from {@code from}, and gives their room back. */
    void close(final int from, final int count)
    {
        if (count > 0)
        {
            Fds.close(fds, from, count);
            budget().closed(count);
        }
    }

    /** Closes the ones no frame took: the datagram is done. */
    void closeUnused()
    {
        if (used < received)
        {
            close(used, received - used);
            used = received;
        }
    }

    /** @return the process's descriptor budget, made at the first call. */
    FdBudget budget()
    {
        if (budget == null)
        {
            budget = new FdBudget();
        }
        return budget;
    }

    /** For tests: a budget with another limit. */
    void budget(final FdBudget budget)
    {
        this.budget = budget;
    }
}
