package io.seqbus.client;

/**
 * Whether this JVM can pass descriptors: the native calls (module {@code seqbus-sys}, through JNA) load. Asked
 * once, by name, so that nothing of JNA nor the native calls of {@code io.seqbus.sys} is loaded or even linked before
 * a client asks for descriptors (only its JDK-only {@code AdaptiveSpin}, see {@link AdaptiveSpins}): a service without
 * JNA on its class path connects and publishes inline as before.
 */
final class NativeDescriptors
{
    private static volatile String unavailable;
    private static volatile boolean probed;

    private NativeDescriptors()
    {
    }

    /**
     * @return null when descriptors can be passed, else why not (one line).
     */
    static String unavailable()
    {
        if (!probed)
        {
            synchronized (NativeDescriptors.class)
            {
                if (!probed)
                {
                    unavailable = probe();
                    probed = true;
                }
            }
        }
        return unavailable;
    }

    private static String probe()
    {
        try
        {
            // Loading LibC registers its JNA direct mapping: it fails without JNA, on another OS, or without libc.
            Class.forName("io.seqbus.sys.LibC", true, NativeDescriptors.class.getClassLoader());
            Class.forName("io.seqbus.client.DescriptorSocket", true, NativeDescriptors.class.getClassLoader());
            return null;
        }
        catch (final Throwable ex)
        {
            return "the native calls for descriptors do not load (" + ex.getClass().getSimpleName() +
                (ex.getMessage() != null ? ": " + ex.getMessage() : "") + "); is JNA (net.java.dev.jna:jna) on the class path?";
        }
    }
}
