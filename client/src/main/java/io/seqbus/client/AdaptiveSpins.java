package io.seqbus.client;

import io.seqbus.sys.AdaptiveSpin;

/**
 * The client's way to {@code seqbus-sys}'s spin policy ({@link AdaptiveSpin}, JDK only, no JNA). A service that left
 * {@code seqbus-sys} off its class path (it needs it only for descriptors and shared memory) still runs: its thread
 * then spins the fixed {@link ClientOptions#idleSpin()}, as before issue 16. Asked once, by name.
 */
final class AdaptiveSpins
{
    private static final boolean AVAILABLE = probe();

    private AdaptiveSpins()
    {
    }

    /**
     * @param spinNs the most the thread spins.
     * @return the calling thread's policy, or null (spin the fixed time) without seqbus-sys.
     */
    static AdaptiveSpin forCurrentThread(final long spinNs)
    {
        return AVAILABLE ? AdaptiveSpin.forCurrentThread(spinNs) : null;
    }

    private static boolean probe()
    {
        try
        {
            Class.forName("io.seqbus.sys.AdaptiveSpin", true, AdaptiveSpins.class.getClassLoader());
            return true;
        }
        catch (final Throwable ex)
        {
            return false;
        }
    }
}
