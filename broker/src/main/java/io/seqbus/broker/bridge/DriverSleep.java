package io.seqbus.broker.bridge;

import io.seqbus.broker.config.Configuration;

/**
 * How long the broker agent, which runs the embedded media driver's duty cycle, may block in epoll_wait while idle
 * so Aeron's timers still run on time. A datagram on one of the driver's sockets ends the block at once (the agent's
 * epoll watches them), so the bound is for timers only: {@value #SHORT_MS} ms for {@value #SHORT_BLOCKS} blocks after
 * data moved either way (NAK and retransmit delays are ~1 ms), then
 * {@link Configuration#LAN_TIMER_BLOCK_MS} (status messages every 100 ms, heartbeats, liveness in seconds). Control
 * traffic alone keeps the long block: the status messages and heartbeats of two idle brokers otherwise kept it at
 * 1 ms.
 *
 * <p>Agent thread only.
 */
final class DriverSleep
{
    static final int SHORT_MS = 1;
    static final int SHORT_BLOCKS = 10;

    private final int longMs;
    private int quietBlocks = SHORT_BLOCKS;

    /**
     * @param longMs the block once no data moved for {@value #SHORT_BLOCKS} blocks.
     */
    DriverSleep(final int longMs)
    {
        this.longMs = longMs;
    }

    /**
     * Data arrived from the LAN, or was offered to it: loss repair may be due within a millisecond or so.
     */
    void dataMoved()
    {
        quietBlocks = 0;
    }

    /**
     * The agent is about to block: how long it may.
     *
     * @return the longest block, ms.
     */
    int nextBlockMs()
    {
        if (quietBlocks < SHORT_BLOCKS)
        {
            quietBlocks++;
            return SHORT_MS;
        }
        return longMs;
    }
}
