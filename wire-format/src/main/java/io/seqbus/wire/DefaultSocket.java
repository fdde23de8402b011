package io.seqbus.wire;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where the bus lives when nobody says: the one rule that the broker, the client library, the
 * command line and the Python example all follow, so that they meet without configuration.
 *
 * <ol>
 *   <li>{@code $SEQBUS_SOCKET}, when set (a path, or {@code @name} for an abstract socket);</li>
 *   <li>{@code $XDG_RUNTIME_DIR/seqbus/seqbus.sock}, in the per-user runtime directory of a login session;</li>
 *   <li>{@code /tmp/seqbus-UID/seqbus.sock} otherwise (the broker creates the folder, mode 0700).</li>
 * </ol>
 * A systemd-managed broker sets {@code SEQBUS_SOCKET=/run/seqbus/seqbus.sock} for its clients.
 */
public final class DefaultSocket
{
    /** Environment variable naming the socket. */
    public static final String ENV_SOCKET = "SEQBUS_SOCKET";
    /** File name of the socket inside its folder. */
    public static final String FILE_NAME = "seqbus.sock";

    private DefaultSocket()
    {
    }

    /**
     * @return the socket address by the rule above, for this process's environment.
     */
    public static String resolve()
    {
        return resolve(System.getenv(), uid());
    }

    /**
     * @param env      environment variables.
     * @param uid      of the current user.
     * @return the socket address by the rule above.
     */
    public static String resolve(final Map<String, String> env, final long uid)
    {
        final String explicit = env.get(ENV_SOCKET);
        if (explicit != null && !explicit.isBlank())
        {
            return explicit;
        }
        final String runtimeDir = env.get("XDG_RUNTIME_DIR");
        if (runtimeDir != null && !runtimeDir.isBlank())
        {
            return Path.of(runtimeDir, "seqbus", FILE_NAME).toString();
        }
        return Path.of("/tmp", "seqbus-" + uid, FILE_NAME).toString();
    }

    /**
     * @return this process's real uid: the owner of {@code /proc/self}.
     */
    public static long uid()
    {
        try
        {
            return ((Number)Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue();
        }
        catch (final IOException | UnsupportedOperationException ex)
        {
            return 65534;
        }
    }
}
