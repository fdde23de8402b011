package io.seqbus.ops;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.seqbus.client.Headers;
import io.seqbus.client.Message;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One message as one JSON object, for {@code seqbus sub --json} and {@code %j}: the metadata, then the payload
 * as text when it is valid UTF-8, else as base64, with {@code "encoding"} saying which.
 */
final class JsonMessage
{
    private static final JsonFactory JSON = new JsonFactory();

    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);

    /**
     * @param message the message, valid only during the handler.
     * @return the object's UTF-8 bytes, without a newline.
     */
    byte[] encode(final Message message)
    {
        bytes.reset();
        try (JsonGenerator json = JSON.createGenerator(bytes))
        {
            json.writeStartObject();
            json.writeStringField("topic", message.topic());
            json.writeNumberField("node", Integer.toUnsignedLong(message.sourceNode()));
            // A 64-bit id, often past 2^63 as unsigned: a string, so that no reader rounds or negates it.
            json.writeStringField("publisher", Long.toUnsignedString(message.publisherId()));
            json.writeNumberField("sequence", message.sequence());
            json.writeNumberField("uid", Integer.toUnsignedLong(message.publisherUid()));
            json.writeNumberField("pid", message.publisherPid());
            // Nanoseconds since the epoch pass 2^53, where JavaScript's numbers lose digits: the ISO form is exact.
            json.writeNumberField("time_ns", message.timestampNs());
            json.writeStringField("time", PrintfFormat.iso(message.timestampNs()));
            if (message.subscription().group() != null)
            {
                json.writeStringField("group", message.subscription().group());
            }
            writePayloadAndHeaders(json, message);
            json.writeEndObject();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        return bytes.toByteArray();
    }

    /**
     * @param reply a reply {@code BusClient.request} completed with (a copy): its topic is the request's.
     * @return the object's UTF-8 bytes, without a newline: who replied (the kernel's uid and pid), when, the
     * payload and its headers ({@code seqbus request --json}).
     */
    byte[] encodeReply(final Message reply)
    {
        bytes.reset();
        try (JsonGenerator json = JSON.createGenerator(bytes))
        {
            json.writeStartObject();
            json.writeStringField("topic", reply.topic());
            json.writeNumberField("replier_node", Integer.toUnsignedLong(reply.sourceNode()));
            json.writeNumberField("replier_uid", Integer.toUnsignedLong(reply.replierUid()));
            json.writeNumberField("replier_pid", reply.replierPid());
            json.writeNumberField("time_ns", reply.timestampNs());
            json.writeStringField("time", PrintfFormat.iso(reply.timestampNs()));
            writePayloadAndHeaders(json, reply);
            json.writeEndObject();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        return bytes.toByteArray();
    }

    /** {@code "encoding"} and {@code "payload"} (UTF-8 text as it is, else base64), then the headers if any. */
    private void writePayloadAndHeaders(final JsonGenerator json, final Message message) throws IOException
    {
        final String text = textOrNull(message.payloadBuffer());
        json.writeStringField("encoding", text != null ? "utf-8" : "base64");
        json.writeStringField("payload", text != null ? text :
            Base64.getEncoder().encodeToString(message.payloadAsBytes()));
        if (message.hasHeaders())
        {
            writeHeaders(json, message.headers());
        }
    }

    /**
     * {@code "headers"}: an object, key to value (UTF-8 text, a bad byte as U+FFFD); a key that repeats maps to an
     * array of its values in order (docs/cli.md). Only for a message that has headers.
     */
    private static void writeHeaders(final JsonGenerator json, final Headers headers) throws IOException
    {
        json.writeObjectFieldStart("headers");
        final Set<String> written = new HashSet<>();
        for (int i = 0; i < headers.size(); i++)
        {
            final String key = headers.key(i);
            if (!written.add(key))
            {
                continue;
            }
            final List<String> values = headers.getAll(key);
            if (values.size() == 1)
            {
                json.writeStringField(key, values.get(0));
            }
            else
            {
                json.writeArrayFieldStart(key);
                for (final String value : values)
                {
                    json.writeString(value);
                }
                json.writeEndArray();
            }
        }
        json.writeEndObject();
    }

    private String textOrNull(final ByteBuffer payload)
    {
        try
        {
            return utf8.reset().decode(payload).toString();
        }
        catch (final CharacterCodingException ex)
        {
            return null;
        }
    }
}
