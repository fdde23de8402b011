package io.seqbus.client;

import java.util.concurrent.TimeUnit;

/**
 * For {@link MappedPayloadTest}, in a JVM of its own whose young generation outlasts the run, so that no GC comes
 * by itself (as in a subscriber that allocates nothing per message): maps and lets go of memfd payloads, then prints
 * how many mappings are left once the Cleaner had 10 s to unmap what it may.
 */
public final class MappedPayloadsMain
{
    private MappedPayloadsMain()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final int payloads = Integer.parseInt(args[0]);
        final byte[] bytes = new byte[16];
        for (int i = 0; i < payloads; i++)
        {
            bytes[0] = (byte)i;
            final MappedPayload payload = MappedPayload.map(OutgoingMemfd.sealed(bytes, 0, bytes.length), 16, null);
            if (payload.buffer().get(0) != bytes[0])
            {
                throw new AssertionError("payload " + i + " reads " + payload.buffer().get(0));
            }
            payload.letGo();
        }
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (MappedPayload.liveMappings() > MappedPayload.MAPPINGS_BEFORE_GC && System.nanoTime() < deadline)
        {
            Thread.sleep(10);
        }
        System.out.println(MappedPayload.liveMappings());
    }
}
