package io.seqbus.broker.bridge;

import io.seqbus.broker.Configuration;
import io.seqbus.wire.DefaultSocket;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;

/**
 * Reads the bridge's shared key from {@code lan.key_file}: hex text (whitespace anywhere ignored, so
 * {@code openssl rand -hex 32} or {@code od -An -tx1 -N32 /dev/urandom} output works as is) of at least
 * {@link #MIN_KEY_BYTES} bytes. The file must belong to the broker's user (or root) and give group and others
 * no access at all: a key anyone on the host can read authenticates nothing. Every refusal names the file and
 * never shows its content.
 */
public final class LanKey
{
    /** Shortest key accepted, bytes: as long as the HMAC-SHA256 output, as RFC 2104 recommends. */
    public static final int MIN_KEY_BYTES = 32;

    /** Longest file read, bytes: a key file is a few dozen characters; a huge one is a mistake. */
    private static final int MAX_FILE_BYTES = 4096;

    private static final Set<PosixFilePermission> GROUP_OR_OTHERS = EnumSet.of(
        PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
        PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private LanKey()
    {
    }

    /**
     * Checks and reads a key file.
     *
     * @param file the file's path.
     * @return the key's bytes.
     * @throws IllegalArgumentException naming the setting, the file and what is wrong.
     */
    public static byte[] load(final String file)
    {
        final Path path = Path.of(file);
        final PosixFileAttributes attributes;
        final int ownerUid;
        try
        {
            attributes = Files.readAttributes(path, PosixFileAttributes.class);
            ownerUid = ((Number)Files.getAttribute(path, "unix:uid")).intValue();
        }
        catch (final NoSuchFileException ex)
        {
            throw refuse(file, "does not exist");
        }
        catch (final IOException | UnsupportedOperationException ex)
        {
            throw refuse(file, "cannot be examined: " + ex);
        }
        if (!attributes.isRegularFile())
        {
            throw refuse(file, "is not a regular file");
        }
        final long ownUid = DefaultSocket.uid();
        if (ownerUid != ownUid && ownerUid != 0)
        {
            throw refuse(file, "belongs to uid " + ownerUid + "; allowed: the broker's user (uid " + ownUid +
                ") or root");
        }
        final Set<PosixFilePermission> loose = EnumSet.copyOf(GROUP_OR_OTHERS);
        loose.retainAll(attributes.permissions());
        if (!loose.isEmpty())
        {
            throw refuse(file, "is open to group or others (mode " + mode(attributes.permissions()) +
                "); allowed: access for its owner only, e.g. chmod 600 " + file);
        }
        if (attributes.size() > MAX_FILE_BYTES)
        {
            throw refuse(file, "is " + attributes.size() + " bytes; allowed: at most " + MAX_FILE_BYTES);
        }
        final byte[] text;
        try
        {
            text = Files.readAllBytes(path);
        }
        catch (final IOException ex)
        {
            throw refuse(file, "cannot be read: " + ex);
        }
        return parse(file, text);
    }

    private static byte[] parse(final String file, final byte[] text)
    {
        final StringBuilder digits = new StringBuilder(text.length);
        for (final byte b : text)
        {
            final char c = (char)(b & 0xFF);
            if (Character.digit(c, 16) >= 0 && c < 128)
            {
                digits.append(c);
            }
            else if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            {
                throw refuse(file, "holds something other than hex digits and whitespace; allowed: a key in hex, " +
                    "e.g. made by openssl rand -hex 32 > " + file);
            }
        }
        if (digits.length() % 2 != 0)
        {
            throw refuse(file, "holds an odd number of hex digits; allowed: whole bytes, two digits each");
        }
        if (digits.length() / 2 < MIN_KEY_BYTES)
        {
            throw refuse(file, "holds a key of " + digits.length() / 2 + " bytes; allowed: at least " +
                MIN_KEY_BYTES + " (" + 2 * MIN_KEY_BYTES + " hex digits), e.g. made by openssl rand -hex 32 > " + file);
        }
        final byte[] key = new byte[digits.length() / 2];
        for (int i = 0; i < key.length; i++)
        {
            key[i] = (byte)((Character.digit(digits.charAt(2 * i), 16) << 4) |
                Character.digit(digits.charAt(2 * i + 1), 16));
        }
        return key;
    }

    private static String mode(final Set<PosixFilePermission> permissions)
    {
        int mode = 0;
        for (final PosixFilePermission p : permissions)
        {
            mode |= 1 << (8 - p.ordinal());
        }
        return String.format("%04o", mode);
    }

    private static IllegalArgumentException refuse(final String file, final String why)
    {
        return new IllegalArgumentException(Configuration.LAN_KEY_FILE_PROP_NAME + "=" + file + ": the file " + why);
    }
}
