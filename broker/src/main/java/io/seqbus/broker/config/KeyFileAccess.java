package io.seqbus.broker.config;

import io.seqbus.wire.DefaultSocket;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Checks that only the broker's user (or root) can read the key file or put another in its place, as ssh's
 * {@code StrictModes} does for {@code authorized_keys}: the file is not a symbolic link (whoever can change a
 * link chooses the key), belongs to the broker's user or root and is closed to group and others; every
 * directory of its real path up to {@code /} belongs to the broker's user or root and is writable by group or
 * others only with the sticky bit (as {@code /tmp} is), where no one can rename or remove another's file.
 */
final class KeyFileAccess
{
    private static final int GROUP_OR_OTHERS = 0077;
    private static final int GROUP_OR_OTHERS_WRITE = 0022;
    private static final int STICKY = 01000;

    private KeyFileAccess()
    {
    }

    /**
     * @param file the file's path as configured.
     * @return the file's size, bytes.
     * @throws IllegalArgumentException naming the file, or the directory, what was found and what is allowed.
     */
    static long check(final String file)
    {
        final Path path = Path.of(file);
        final Map<String, Object> attributes;
        try
        {
            attributes = Files.readAttributes(path, "unix:isSymbolicLink,isRegularFile,uid,mode,size",
                LinkOption.NOFOLLOW_LINKS);
        }
        catch (final NoSuchFileException ex)
        {
            throw LanKey.refuse(file, "the file does not exist");
        }
        catch (final IOException | UnsupportedOperationException ex)
        {
            throw LanKey.refuse(file, "the file cannot be examined: " + ex);
        }
        if ((Boolean)attributes.get("isSymbolicLink"))
        {
            throw LanKey.refuse(file, "the file is a symbolic link" + target(path) +
                "; allowed: a regular file, named by its real path");
        }
        if (!(Boolean)attributes.get("isRegularFile"))
        {
            throw LanKey.refuse(file, "the file is not a regular file");
        }
        final long ownUid = DefaultSocket.uid();
        final int uid = (Integer)attributes.get("uid");
        if (uid != ownUid && uid != 0)
        {
            throw LanKey.refuse(file, "the file belongs to uid " + uid + "; allowed: the broker's user (uid " +
                ownUid + ") or root");
        }
        final int mode = (Integer)attributes.get("mode");
        if ((mode & GROUP_OR_OTHERS) != 0)
        {
            throw LanKey.refuse(file, "the file is open to group or others (mode " + octal(mode) +
                "); allowed: access for its owner only, e.g. chmod 600 " + file);
        }
        checkDirectories(file, path, ownUid);
        return (Long)attributes.get("size");
    }

    private static void checkDirectories(final String file, final Path path, final long ownUid)
    {
        Path directory;
        try
        {
            directory = path.toAbsolutePath().getParent().toRealPath();
        }
        catch (final IOException ex)
        {
            throw LanKey.refuse(file, "the file's directory cannot be examined: " + ex);
        }
        for (; directory != null; directory = directory.getParent())
        {
            final Map<String, Object> attributes;
            try
            {
                attributes = Files.readAttributes(directory, "unix:uid,mode", LinkOption.NOFOLLOW_LINKS);
            }
            catch (final IOException ex)
            {
                throw LanKey.refuse(file, "its directory " + directory + " cannot be examined: " + ex);
            }
            final int uid = (Integer)attributes.get("uid");
            if (uid != ownUid && uid != 0)
            {
                throw LanKey.refuse(file, "its directory " + directory + " belongs to uid " + uid +
                    ", who could put another key in its place; allowed: directories of the broker's user (uid " +
                    ownUid + ") or root, all the way up to /");
            }
            final int mode = (Integer)attributes.get("mode");
            if ((mode & GROUP_OR_OTHERS_WRITE) != 0 && (mode & STICKY) == 0)
            {
                throw LanKey.refuse(file, "its directory " + directory + " is writable by group or others (mode " +
                    octal(mode) + ") without the sticky bit, so the key file could be replaced; allowed: directories " +
                    "only their owner can write, e.g. chmod go-w " + directory + ", or with the sticky bit, as /tmp");
            }
        }
    }

    private static String target(final Path link)
    {
        try
        {
            return " (to " + Files.readSymbolicLink(link) + ")";
        }
        catch (final IOException ex)
        {
            return "";
        }
    }

    private static String octal(final int mode)
    {
        return String.format("%04o", mode & 07777);
    }
}
