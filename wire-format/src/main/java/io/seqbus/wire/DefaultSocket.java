package io.seqbus.wire;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
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
 *
 * <h2>The per-user folder must be the user's own</h2>
 * The last two are per-user locations in places other users may also write to ({@code /tmp}), so
 * another user could create the folder first, run a fake broker in it, or swap the socket file.
 * Before a broker binds there and before a client connects there, every step is checked, as
 * ssh-agent, tmux and systemd do; anything else is refused with a message naming the path, its
 * owner and mode, and what is expected ({@link UnsafePathException}):
 * <ul>
 *   <li>the folder ({@code /tmp/seqbus-UID} or {@code $XDG_RUNTIME_DIR/seqbus}) is a real directory,
 *       not a symbolic link (examined without following links), owned by the current uid and not
 *       writable by group or others;</li>
 *   <li>its parent ({@code /tmp} or {@code $XDG_RUNTIME_DIR}) is a directory owned by the current uid
 *       or root, and if group or others may write to it, it has the sticky bit (as {@code /tmp}
 *       has), so nobody else can rename or remove the folder;</li>
 *   <li>the socket file, when it exists, is a socket (not a link) owned by the current uid.</li>
 * </ul>
 * A broker creates a missing folder itself (mode 0700; never its parent), then checks it like any
 * other. A socket named explicitly ({@code $SEQBUS_SOCKET}, {@code --socket}, the {@code socket}
 * setting, {@code ClientOptions.socket}) is the user's choice and is not checked this way.
 */
public final class DefaultSocket
{
    /** Environment variable naming the socket. */
    public static final String ENV_SOCKET = "SEQBUS_SOCKET";
    /** File name of the socket inside its folder. */
    public static final String FILE_NAME = "seqbus.sock";

    private static final int TYPE_MASK = 0170000;
    private static final int TYPE_DIRECTORY = 0040000;
    private static final int TYPE_SOCKET = 0140000;
    private static final int TYPE_LINK = 0120000;
    private static final int TYPE_FILE = 0100000;
    private static final int GROUP_OR_OTHERS_WRITE = 0022;
    private static final int STICKY = 01000;

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
        final Path folder = privateDirectory(env, uid);
        return folder == null ? env.get(ENV_SOCKET) : folder.resolve(FILE_NAME).toString();
    }

    /**
     * @return the per-user folder the rule picks for this process, or null when {@code $SEQBUS_SOCKET}
     * names the socket.
     */
    public static Path privateDirectory()
    {
        return privateDirectory(System.getenv(), uid());
    }

    /**
     * @param env environment variables.
     * @param uid of the current user.
     * @return the per-user folder that holds the default socket ({@code $XDG_RUNTIME_DIR/seqbus} or
     * {@code /tmp/seqbus-UID}), or null when {@code $SEQBUS_SOCKET} names the socket.
     */
    public static Path privateDirectory(final Map<String, String> env, final long uid)
    {
        final String explicit = env.get(ENV_SOCKET);
        if (explicit != null && !explicit.isBlank())
        {
            return null;
        }
        final String runtimeDir = env.get("XDG_RUNTIME_DIR");
        if (runtimeDir != null && !runtimeDir.isBlank())
        {
            return Path.of(runtimeDir, "seqbus");
        }
        return Path.of("/tmp", "seqbus-" + uid);
    }

    /**
     * For clients that talk to the socket themselves (the command line): the socket by the rule above,
     * checked as a client must before it connects when it is a per-user default.
     *
     * @return the socket address.
     * @throws IOException an {@link UnsafePathException} when a check fails, or when the folder is missing.
     */
    public static String resolveChecked() throws IOException
    {
        final Map<String, String> env = System.getenv();
        final long uid = uid();
        final Path folder = privateDirectory(env, uid);
        if (folder != null)
        {
            checkBeforeConnect(folder, uid);
        }
        return resolve(env, uid);
    }

    /**
     * What a client checks before it connects to the default socket in {@code folder}: the folder
     * (it must exist) and the socket file, when there is one.
     *
     * @param folder the per-user folder, from {@link #privateDirectory(Map, long)}.
     * @param uid    the current uid.
     * @throws IOException an {@link UnsafePathException} when a check fails, or when the folder is missing.
     */
    public static void checkBeforeConnect(final Path folder, final long uid) throws IOException
    {
        if (!Files.exists(folder, LinkOption.NOFOLLOW_LINKS))
        {
            // Only the broker creates it; connecting through a folder checked as missing could meet
            // one created a moment later by someone else.
            throw new NoSuchFileException(folder.toString(), null, "No such file or directory");
        }
        checkPrivateDirectory(folder, uid);
        checkSocketFile(folder.resolve(FILE_NAME), uid);
    }

    /**
     * Checks a per-user folder and its parent by the rules above.
     *
     * @param folder the folder, which must exist.
     * @param uid    the uid it must belong to.
     * @throws IOException an {@link UnsafePathException} naming what is wrong, or the reason the folder
     *                     cannot be examined.
     */
    public static void checkPrivateDirectory(final Path folder, final long uid) throws IOException
    {
        final Path parent = folder.toAbsolutePath().getParent();
        if (parent != null)
        {
            // The parent may be a link (some systems link /tmp): what counts is the directory it leads to.
            final Stat p = Stat.of(parent, true);
            if (p.type() != TYPE_DIRECTORY || (p.uid != uid && p.uid != 0) ||
                ((p.mode & GROUP_OR_OTHERS_WRITE) != 0 && (p.mode & STICKY) == 0))
            {
                throw new UnsafePathException("refusing " + folder + ": its parent " + parent + " is " +
                    p.describe() + "; it must be a directory of uid " + uid + " or root, sticky (as /tmp is) " +
                    "if group or others may write to it (set " + ENV_SOCKET + " to a socket elsewhere)");
            }
        }
        final Stat f = Stat.of(folder, false);
        if (f.type() != TYPE_DIRECTORY || f.uid != uid || (f.mode & GROUP_OR_OTHERS_WRITE) != 0)
        {
            throw new UnsafePathException("refusing " + folder + ": " + f.describe() + "; it must be a directory " +
                "of uid " + uid + " closed to writing by group and others (" +
                (f.type() == TYPE_DIRECTORY && f.uid == uid ? "chmod 700 it" : "remove it") +
                ", or set " + ENV_SOCKET + ")");
        }
    }

    /**
     * Checks the socket file in a per-user folder, when it exists.
     *
     * @param socket the socket's path.
     * @param uid    the uid it must belong to.
     * @throws IOException an {@link UnsafePathException} naming what is wrong, or the reason the file
     *                     cannot be examined.
     */
    public static void checkSocketFile(final Path socket, final long uid) throws IOException
    {
        if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS))
        {
            return;
        }
        final Stat s = Stat.of(socket, false);
        if (s.type() != TYPE_SOCKET || s.uid != uid)
        {
            throw new UnsafePathException("refusing " + socket + ": " + s.describe() + "; it must be a socket of uid " +
                uid + " (remove it, or set " + ENV_SOCKET + ")");
        }
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

    /** Thrown when a path of the default socket fails a check; the message names it, its owner and mode. */
    public static final class UnsafePathException extends IOException
    {
        private static final long serialVersionUID = 1L;

        /**
         * @param message what is wrong, and what is expected.
         */
        public UnsafePathException(final String message)
        {
            super(message);
        }
    }

    /** What lstat(2) (or stat(2)) says about a path: type and permission bits, and the owner. */
    private static final class Stat
    {
        final int mode;
        final long uid;

        private Stat(final int mode, final long uid)
        {
            this.mode = mode;
            this.uid = uid;
        }

        static Stat of(final Path path, final boolean followLinks) throws IOException
        {
            final Map<String, Object> attributes = followLinks ?
                Files.readAttributes(path, "unix:mode,uid") :
                Files.readAttributes(path, "unix:mode,uid", LinkOption.NOFOLLOW_LINKS);
            return new Stat((Integer)attributes.get("mode"), ((Number)attributes.get("uid")).longValue());
        }

        int type()
        {
            return mode & TYPE_MASK;
        }

        String describe()
        {
            final int type = type();
            final String what = type == TYPE_DIRECTORY ? "a directory" : type == TYPE_LINK ? "a symbolic link" :
                type == TYPE_SOCKET ? "a socket" : type == TYPE_FILE ? "a regular file" : "a special file";
            return what + " owned by uid " + uid + ", mode " + String.format("%04o", mode & 07777);
        }
    }
}
