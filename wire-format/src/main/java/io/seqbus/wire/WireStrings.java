package io.seqbus.wire;

import java.nio.charset.StandardCharsets;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * UTF-8 strings on the wire: bytes only, the u16 length is written by each frame's encoder.
 */
public final class WireStrings
{
    private WireStrings()
    {
    }

    /**
     * @param value a string.
     * @return its length in UTF-8 bytes as {@link #putUtf8} writes it, computed without encoding it.
     */
    public static int utf8Length(final CharSequence value)
    {
        int bytes = 0;
        for (int i = 0, n = value.length(); i < n; i++)
        {
            final char c = value.charAt(i);
            if (c < 0x80)
            {
                bytes += 1;
            }
            else if (c < 0x800)
            {
                bytes += 2;
            }
            else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(value.charAt(i + 1)))
            {
                bytes += 4;
                i++;
            }
            else if (Character.isSurrogate(c))
            {
                // An unpaired surrogate has no UTF-8 form: putUtf8, like String.getBytes, writes '?'.
                bytes += 1;
            }
            else
            {
                bytes += 3;
            }
        }
        return bytes;
    }

    /**
     * Cuts a string so its UTF-8 fits a limit, between characters: never through a surrogate
     * pair, which would encode as '?' in place of the character.
     *
     * @param value    a string.
     * @param maxBytes the most UTF-8 bytes the result may take.
     * @return {@code value} itself when it fits, else its longest prefix that fits.
     */
    public static String truncateUtf8(final String value, final int maxBytes)
    {
        int bytes = 0;
        for (int i = 0, n = value.length(); i < n; )
        {
            final int cp = value.codePointAt(i);
            final boolean loneSurrogate = cp >= Character.MIN_SURROGATE && cp <= Character.MAX_SURROGATE;
            final int cpBytes = cp < 0x80 || loneSurrogate ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
            if (bytes + cpBytes > maxBytes)
            {
                return value.substring(0, i);
            }
            bytes += cpBytes;
            i += Character.charCount(cp);
        }
        return value;
    }

    /**
     * Writes the UTF-8 bytes of a string; ASCII strings are written without allocating.
     *
     * @param buffer to write into.
     * @param index  where the first byte goes.
     * @param value  the string.
     * @return bytes written.
     */
    public static int putUtf8(final MutableDirectBuffer buffer, final int index, final CharSequence value)
    {
        final int n = value.length();
        for (int i = 0; i < n; i++)
        {
            if (value.charAt(i) >= 0x80)
            {
                final byte[] bytes = value.toString().getBytes(StandardCharsets.UTF_8);
                buffer.putBytes(index, bytes);
                return bytes.length;
            }
        }
        for (int i = 0; i < n; i++)
        {
            buffer.putByte(index + i, (byte)value.charAt(i));
        }
        return n;
    }

    /**
     * Checks that a run of bytes is well-formed UTF-8: no overlong forms, no surrogates, nothing
     * above U+10FFFF, no truncated sequence.
     *
     * @param buffer holding the bytes.
     * @param index  of the first byte.
     * @param length number of bytes.
     * @return true if well-formed.
     */
    public static boolean isValidUtf8(final DirectBuffer buffer, final int index, final int length)
    {
        int i = index;
        final int end = index + length;
        while (i < end)
        {
            final int b0 = buffer.getByte(i) & 0xFF;
            if (b0 < 0x80)
            {
                i++;
                continue;
            }
            final int need;
            final int min;
            int cp;
            if (b0 >= 0xC2 && b0 <= 0xDF)
            {
                need = 1;
                min = 0x80;
                cp = b0 & 0x1F;
            }
            else if (b0 >= 0xE0 && b0 <= 0xEF)
            {
                need = 2;
                min = 0x800;
                cp = b0 & 0x0F;
            }
            else if (b0 >= 0xF0 && b0 <= 0xF4)
            {
                need = 3;
                min = 0x10000;
                cp = b0 & 0x07;
            }
            else
            {
                return false;
            }
            if (i + need >= end)
            {
                return false;
            }
            for (int k = 1; k <= need; k++)
            {
                final int b = buffer.getByte(i + k) & 0xFF;
                if ((b & 0xC0) != 0x80)
                {
                    return false;
                }
                cp = (cp << 6) | (b & 0x3F);
            }
            if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            {
                return false;
            }
            i += need + 1;
        }
        return true;
    }
}
