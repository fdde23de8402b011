package io.seqbus.ops.bench;

/**
 * The CPU each process of a run used in the measured window, read from {@code /proc} ({@link ProcessCpu}) when it
 * opens and when it closes: this process (the publishers, and the subscribers unless they run in processes of their
 * own), the broker, then each subscriber process.
 */
final class WindowCpu
{
    private final BrokerStats broker;
    private final long[] pids;
    private long[] before;

    /**
     * @param broker what the broker said of itself (its pid; null or no pid when it did not say), read just before.
     * @param subscriberPids the subscribers' processes: none when they run in this process.
     */
    WindowCpu(final BrokerStats broker, final long[] subscriberPids)
    {
        this.broker = broker;
        final long[] children = subscriberPids;
        pids = new long[2 + children.length];
        pids[0] = ProcessHandle.current().pid();
        pids[1] = broker == null || broker.pid() <= 0 || broker.pid() == pids[0] ? -1 : broker.pid();
        System.arraycopy(children, 0, pids, 2, children.length);
    }

    /** The window opens. */
    void start()
    {
        before = ticks();
    }

    /**
     * @param windowNanos how long the window was open.
     * @return each process's share of a core over it.
     */
    BenchResult.Cpu end(final long windowNanos)
    {
        final long[] after = ticks();
        final double[] subscribers = new double[pids.length - 2];
        for (int i = 0; i < subscribers.length; i++)
        {
            subscribers[i] = ProcessCpu.percentOfCore(before[i + 2], after[i + 2], windowNanos);
        }
        final String brokerPidFrom = broker == null || broker.pid() <= 0 ? BenchResult.Cpu.PID_UNKNOWN :
            broker.pid() == pids[0] ? BenchResult.Cpu.PID_EMBEDDED : BenchResult.Cpu.PID_FROM_STAT;
        return new BenchResult.Cpu(ProcessCpu.percentOfCore(before[0], after[0], windowNanos),
            ProcessCpu.percentOfCore(before[1], after[1], windowNanos), broker == null ? -1 : broker.pid(),
            brokerPidFrom, subscribers.length == 0 ? null : subscribers);
    }

    private long[] ticks()
    {
        final long[] ticks = new long[pids.length];
        for (int i = 0; i < pids.length; i++)
        {
            ticks[i] = pids[i] < 0 ? -1 : ProcessCpu.ticks(pids[i]);
        }
        return ticks;
    }
}
