package io.seqbus.client;

import java.nio.charset.StandardCharsets;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;

import org.agrona.DirectBuffer;
import io.seqbus.wire.SafeBuffer;

import io.seqbus.wire.HeaderBlock;

/**
 * Key/value pairs beside a message's payload (trace context, content type, a message id): immutable, in the order
 * given, a key may repeat. Keys are 1 to 64 characters of {@code a-z 0-9 - _ .} (lower case, as HTTP/2); values are
 * text, sent as UTF-8 (or bytes: {@link Builder#add(String, byte[])}). Checked when built, and encoded once then:
 * publishing the same {@code Headers} again costs a copy of its bytes, nothing more. Build them once and reuse them
 * where they do not change.
 *
 * <pre>{@code
 * bus.publish("orders.created", payload, Headers.of("traceparent", tp, "content-type", "application/json"));
 * String tp = message.headers().get("traceparent");
 * }</pre>
 *
 * Limits: the block of SPEC.md ("Headers") is at most 65,535 bytes; the broker's {@code max_header_bytes} (4 KiB by
 * default, its 2-byte length field included) and {@code max_headers} (32) apply at publish.
 */
public final class Headers implements Iterable<Map.Entry<String, String>>
{
    /** No headers: what {@link Message#headers()} returns for a message without any, at no cost. */
    public static final Headers EMPTY = new Headers(new String[0], new byte[0][], null);

    private final String[] keys;
    private final byte[][] values;
    // The encoded block, SPEC.md's layout, made once: what a publish copies.
    private final SafeBuffer block;

    private Headers(final String[] keys, final byte[][] values, final SafeBuffer block)
    {
        this.keys = keys;
        this.values = values;
        this.block = block;
    }

    /**
     * @param keysAndValues key, value, key, value...: text values (UTF-8 on the wire).
     * @return the headers, in that order.
     * @throws IllegalArgumentException for an odd count, a key that breaks the rules, or a block over 65,535 bytes.
     */
    public static Headers of(final String... keysAndValues)
    {
        Objects.requireNonNull(keysAndValues, "keysAndValues");
        if (keysAndValues.length % 2 != 0)
        {
            throw new IllegalArgumentException("Headers.of takes key, value pairs: " + keysAndValues.length +
                " strings given");
        }
        final Builder builder = builder();
        for (int i = 0; i < keysAndValues.length; i += 2)
        {
            builder.add(keysAndValues[i], keysAndValues[i + 1]);
        }
        return builder.build();
    }

    /** @return a builder, for headers made in steps or with byte values. */
    public static Builder builder()
    {
        return new Builder();
    }

    /** @return how many entries (a repeated key counts each time). */
    public int size()
    {
        return keys.length;
    }

    /** @return true when there are none. */
    public boolean isEmpty()
    {
        return keys.length == 0;
    }

    /**
     * @param key a key.
     * @return the first value of that key as text (UTF-8), or null when absent.
     */
    public String get(final String key)
    {
        for (int i = 0; i < keys.length; i++)
        {
            if (keys[i].equals(key))
            {
                return value(i);
            }
        }
        return null;
    }

    /**
     * @param key a key.
     * @return every value of that key as text, in order; empty when absent.
     */
    public List<String> getAll(final String key)
    {
        final List<String> all = new ArrayList<>(1);
        for (int i = 0; i < keys.length; i++)
        {
            if (keys[i].equals(key))
            {
                all.add(value(i));
            }
        }
        return all;
    }

    /**
     * @param index 0 to {@link #size()} - 1.
     * @return that entry's key.
     */
    public String key(final int index)
    {
        return keys[index];
    }

    /**
     * @param index 0 to {@link #size()} - 1.
     * @return that entry's value as text (UTF-8).
     */
    public String value(final int index)
    {
        return new String(values[index], StandardCharsets.UTF_8);
    }

    /**
     * @param index 0 to {@link #size()} - 1.
     * @return a copy of that entry's value bytes.
     */
    public byte[] valueBytes(final int index)
    {
        return values[index].clone();
    }

    /** @return the entries in order, values as text. */
    @Override
    public Iterator<Map.Entry<String, String>> iterator()
    {
        return new Iterator<>()
        {
            private int next;

            @Override
            public boolean hasNext()
            {
                return next < keys.length;
            }

            @Override
            public Map.Entry<String, String> next()
            {
                if (next >= keys.length)
                {
                    throw new NoSuchElementException();
                }
                final int i = next++;
                return new AbstractMap.SimpleImmutableEntry<>(keys[i], value(i));
            }
        };
    }

    /** @return bytes of the encoded block, its length field included: what it adds to a message's payload. */
    public int encodedLength()
    {
        return block == null ? 0 : block.capacity();
    }

    @Override
    public boolean equals(final Object o)
    {
        return o instanceof Headers other && Arrays.equals(keys, other.keys) && Arrays.deepEquals(values, other.values);
    }

    @Override
    public int hashCode()
    {
        return 31 * Arrays.hashCode(keys) + Arrays.deepHashCode(values);
    }

    @Override
    public String toString()
    {
        final StringBuilder s = new StringBuilder("Headers{");
        for (int i = 0; i < keys.length; i++)
        {
            s.append(i == 0 ? "" : ", ").append(keys[i]).append('=').append(value(i));
        }
        return s.append('}').toString();
    }

    /** The encoded block, for the publish paths; null for {@link #EMPTY}. */
    DirectBuffer block()
    {
        return block;
    }

    /**
     * Decodes a block the client's framing check found well formed (allocates: {@link Message#headers()} calls it
     * once per message that has headers, and only when asked).
     */
    static Headers decode(final DirectBuffer buffer, final int offset)
    {
        final HeaderBlock cursor = new HeaderBlock().wrap(buffer, offset);
        int count = 0;
        while (cursor.next())
        {
            count++;
        }
        final String[] keys = new String[count];
        final byte[][] values = new byte[count][];
        cursor.rewind();
        for (int i = 0; cursor.next(); i++)
        {
            keys[i] = cursor.key();
            values[i] = new byte[cursor.valueLength()];
            buffer.getBytes(cursor.valueOffset(), values[i]);
        }
        final byte[] copy = new byte[cursor.blockLength()];
        buffer.getBytes(offset, copy);
        return new Headers(keys, values, new SafeBuffer(copy));
    }

    /** Builds {@link Headers}; each key is checked as it is added. */
    public static final class Builder
    {
        private final List<String> keys = new ArrayList<>();
        private final List<byte[]> values = new ArrayList<>();
        private int length = HeaderBlock.LENGTH_FIELD;

        private Builder()
        {
        }

        /**
         * @param key   1 to 64 characters of {@code a-z 0-9 - _ .}.
         * @param value text, sent as UTF-8.
         * @return this.
         * @throws IllegalArgumentException for a key that breaks the rules or a value over 65,535 bytes.
         */
        public Builder add(final String key, final String value)
        {
            Objects.requireNonNull(value, "value");
            return add(key, value.getBytes(StandardCharsets.UTF_8));
        }

        /**
         * @param key   1 to 64 characters of {@code a-z 0-9 - _ .}.
         * @param value bytes (copied).
         * @return this.
         * @throws IllegalArgumentException for a key that breaks the rules or a value over 65,535 bytes.
         */
        public Builder add(final String key, final byte[] value)
        {
            checkKey(key);
            Objects.requireNonNull(value, "value");
            if (value.length > 0xFFFF)
            {
                throw new IllegalArgumentException("header '" + key + "': a value of " + value.length +
                    " bytes, at most 65535");
            }
            final int grown = length + HeaderBlock.entryLength(key.length(), value.length);
            if (grown > HeaderBlock.MAX_BLOCK_LENGTH)
            {
                throw new IllegalArgumentException("headers of " + grown + " bytes encoded, at most " +
                    HeaderBlock.MAX_BLOCK_LENGTH + " (and the broker's max_header_bytes, 4096 by default)");
            }
            keys.add(key);
            values.add(value.clone());
            length = grown;
            return this;
        }

        /** @return the headers; {@link Headers#EMPTY} when none were added. */
        public Headers build()
        {
            if (keys.isEmpty())
            {
                return EMPTY;
            }
            final SafeBuffer block = new SafeBuffer(new byte[length]);
            final HeaderBlock writer = new HeaderBlock().begin(block, 0);
            for (int i = 0; i < keys.size(); i++)
            {
                writer.put(keys.get(i), values.get(i));
            }
            writer.finish();
            return new Headers(keys.toArray(new String[0]), values.toArray(new byte[0][]), block);
        }

        private static void checkKey(final String key)
        {
            Objects.requireNonNull(key, "key");
            if (key.isEmpty() || key.length() > HeaderBlock.MAX_KEY_LENGTH)
            {
                throw new IllegalArgumentException("header key '" + key + "': 1 to " + HeaderBlock.MAX_KEY_LENGTH +
                    " characters");
            }
            for (int i = 0; i < key.length(); i++)
            {
                if (!HeaderBlock.isKeyChar(key.charAt(i)))
                {
                    throw new IllegalArgumentException("header key '" + key + "': character '" + key.charAt(i) +
                        "' at " + i + "; keys are lower case a-z, 0-9, '-', '_' and '.'");
                }
            }
        }
    }
}
