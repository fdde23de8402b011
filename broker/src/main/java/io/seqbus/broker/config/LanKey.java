package io.seqbus.broker.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HexFormat;

/**
 * Reads the bridge's shared key from {@code lan.key_file}: hex text (whitespace anywhere ignored, so
 * {@code openssl rand -hex 32} or {@code od -An -tx1 -N32 /dev/urandom} output works as is) of at least
 * {@link #MIN_KEY_BYTES} bytes that look random ({@link KeyStrength}). A key anyone on the host can read or
 * replace authenticates nothing, so the file and its directories are checked first ({@link KeyFileAccess}).
 * Every refusal names the file and never shows its content.
 */
public final class LanKey
{
    /** Shortest key accepted, bytes: as long as the HMAC-SHA256 output, as RFC 2104 recommends. */
    public static final int MIN_KEY_BYTES = 32;

    /** Longest file read, bytes: a key file is a few dozen characters; a huge one is a mistake. */
    private static final int MAX_FILE_BYTES = 4096;

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
        final long size = KeyFileAccess.check(file);
        if (size > MAX_FILE_BYTES)
        {
            throw refuse(file, "the file is " + size + " bytes; allowed: at most " + MAX_FILE_BYTES);
        }
        final byte[] text;
        // No following a link put there since the check; and no more than the limit, even if the file grew.
        try (InputStream in = Files.newInputStream(Path.of(file), LinkOption.NOFOLLOW_LINKS))
        {
            text = in.readNBytes(MAX_FILE_BYTES + 1);
        }
        catch (final IOException ex)
        {
            throw refuse(file, "the file cannot be read: " + ex);
        }
        if (text.length > MAX_FILE_BYTES)
        {
            throw refuse(file, "the file is over " + MAX_FILE_BYTES + " bytes; allowed: at most " + MAX_FILE_BYTES);
        }
        final byte[] key = parse(file, text);
        final String weakness = KeyStrength.weakness(key);
        if (weakness != null)
        {
            throw refuse(file, "the file " + weakness + "; allowed: " + KeyStrength.RULE + ", e.g. made by " +
                "openssl rand -hex 32 > " + file);
        }
        return key;
    }

    private static byte[] parse(final String file, final byte[] text)
    {
        final StringBuilder digits = new StringBuilder(text.length);
        for (final byte b : text)
        {
            final char c = (char)(b & 0xFF);
            if (HexFormat.isHexDigit(c))
            {
                digits.append(c);
            }
            else if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            {
                throw refuse(file, "the file holds something other than hex digits and whitespace; allowed: a key " +
                    "in hex, e.g. made by openssl rand -hex 32 > " + file);
            }
        }
        if (digits.length() % 2 != 0)
        {
            throw refuse(file, "the file holds an odd number of hex digits; allowed: whole bytes, two digits each");
        }
        if (digits.length() / 2 < MIN_KEY_BYTES)
        {
            throw refuse(file, "the file holds a key of " + digits.length() / 2 + " bytes; allowed: at least " +
                MIN_KEY_BYTES + " (" + 2 * MIN_KEY_BYTES + " hex digits), e.g. made by openssl rand -hex 32 > " + file);
        }
        // Every character is a hex digit and there is an even number of them: parseHex cannot fail (and so
        // cannot put a piece of the key into an exception message).
        return HexFormat.of().parseHex(digits);
    }

    /**
     * @param file the file as configured.
     * @param why  what was found and what is allowed.
     * @return the refusal, naming the setting and the file.
     */
    static IllegalArgumentException refuse(final String file, final String why)
    {
        return new SettingException(Settings.LAN_KEY_FILE, Settings.LAN_KEY_FILE.key() + " = " + file + ": " + why);
    }
}
