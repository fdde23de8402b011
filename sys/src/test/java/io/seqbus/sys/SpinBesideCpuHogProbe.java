package io.seqbus.sys;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Run by {@link AdaptiveSpinContentionTest} under {@code taskset -c 0}: a thread that never sleeps, and on the main
 * thread a waiter whose work always comes within its spin, so only the run-queue wait can stop it spinning. Exits 0
 * and says so once the policy has said "do not spin, the cores are oversubscribed" ten times; 1 when it never did.
 */
public final class SpinBesideCpuHogProbe
{
    private static volatile boolean stop;
    private static volatile long sink;

    private SpinBesideCpuHogProbe()
    {
    }

    public static void main(final String[] args)
    {
        final Thread hog = new Thread(() ->
        {
            long x = 1;
            while (!stop)
            {
                x = x * 6364136223846793005L + 1442695040888963407L;
            }
            sink = x;
        }, "cpu-hog");
        hog.setDaemon(true);
        hog.start();
        final long startNs = System.nanoTime();
        final long endNs = startNs + TimeUnit.SECONDS.toNanos(30);
        long spins = 0;
        try (AdaptiveSpin spin = AdaptiveSpin.forCurrentThread(100_000))
        {
            long nowNs;
            while ((nowNs = System.nanoTime()) - endNs < 0)
            {
                if (spin.shouldSpin(nowNs))
                {
                    spins++;
                    // Spin 20 µs, then the work "comes": within the spin, so spinning paid.
                    while (System.nanoTime() - nowNs < 20_000)
                    {
                        Thread.onSpinWait();
                    }
                }
                else
                {
                    LockSupport.parkNanos(20_000);
                }
                spin.workFound(System.nanoTime());
                if (spin.oversubscribedDecisions() >= 10)
                {
                    System.out.println("stopped spinning after " +
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs) + " ms and " + spins + " spins");
                    stop = true;
                    System.exit(0);
                }
            }
        }
        System.out.println("kept spinning: " + spins + " spins, no oversubscribed decision");
        System.exit(1);
    }
}
