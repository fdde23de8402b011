package io.seqbus.wire;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.seqbus.wire.FrameValidator.Direction;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The vectors of SPEC.md's "Headers" section, read from SPEC.md itself: each valid datagram validates in its
 * direction, and re-encodes byte for byte from its fields with {@link HeaderBlock}; each refused one is refused
 * with its code; each bad block is refused at the byte the table names.
 */
final class HeaderVectorsTest
{
    private static final Path SPEC = Path.of("SPEC.md");
    private static final HexFormat HEX = HexFormat.ofDelimiter(" ");

    private static final Map<String, byte[]> VALID = new LinkedHashMap<>();
    private static final Map<String, byte[]> REFUSED = new LinkedHashMap<>();
    private static final Map<String, Integer> REFUSED_CODES = new LinkedHashMap<>();
    private static final Map<String, byte[]> BLOCKS = new LinkedHashMap<>();
    private static final Map<String, Integer> BLOCK_OFFSETS = new LinkedHashMap<>();

    @BeforeAll
    static void readSpec() throws IOException
    {
        final List<String> lines = Files.readAllLines(SPEC, StandardCharsets.UTF_8);
        final int start = lines.indexOf("### Header test vectors");
        assertThat(start).as("SPEC.md has no header test vectors").isPositive();
        int table = -1;
        boolean inTable = false;
        for (int i = start + 1; i < lines.size() && !lines.get(i).startsWith("## "); i++)
        {
            final String line = lines.get(i);
            if (!line.startsWith("|"))
            {
                inTable = false;
                continue;
            }
            if (!inTable)
            {
                inTable = true;
                table++;
                continue; // the header row
            }
            if (line.matches("\\|[-| :]+\\|"))
            {
                continue;
            }
            final String[] cells = line.substring(1, line.lastIndexOf('|')).split("\\|", -1);
            for (int c = 0; c < cells.length; c++)
            {
                cells[c] = cells[c].trim();
            }
            switch (table)
            {
                case 0 -> VALID.put(cells[0], hex(cells[2]));
                case 1 ->
                {
                    REFUSED.put(cells[0], hex(cells[1]));
                    REFUSED_CODES.put(cells[0], Integer.parseInt(cells[2].split(" ")[0]));
                }
                case 2 ->
                {
                    BLOCKS.put(cells[0], hex(cells[1]));
                    BLOCK_OFFSETS.put(cells[0], Integer.parseInt(cells[2]));
                }
                default -> throw new AssertionError("a fourth table in the header vectors");
            }
        }
    }

    @Test
    void publishWithHeaders()
    {
        final byte[] bytes = VALID.get("PUBLISH HEADERS");
        assertThat(validate(Direction.FROM_CLIENT, bytes)).isZero();
        assertThat(encodePublish("a.b", new String[] {"k", "v", "k", "w"}, "hi")).isEqualTo(HEX.formatHex(bytes));
        assertThat(entries(bytes, PublishFrame.TOPIC_OFFSET + 3)).containsExactly("k=v", "k=w");
    }

    @Test
    void publishWithAnEmptyBlock()
    {
        final byte[] bytes = VALID.get("PUBLISH EMPTY HEADERS");
        assertThat(validate(Direction.FROM_CLIENT, bytes)).isZero();
        assertThat(encodePublish("a.b", new String[0], "hi")).isEqualTo(HEX.formatHex(bytes));
        assertThat(entries(bytes, PublishFrame.TOPIC_OFFSET + 3)).isEmpty();
    }

    @Test
    void deliverWithHeaders()
    {
        final byte[] bytes = VALID.get("DELIVER HEADERS");
        assertThat(validate(Direction.FROM_BROKER, bytes)).isZero();
        assertThat(validate(Direction.FROM_CLIENT, bytes)).isEqualTo(ErrorCode.PROTOCOL_VIOLATION);
        final int blockAt = DeliverFrame.TOPIC_OFFSET + 3;
        // The broker copies topic, block and payload as they came in the PUBLISH: one source run.
        final UnsafeBuffer source = new UnsafeBuffer(new byte[3 + 8 + 3]);
        source.putStringWithoutLengthAscii(0, "a.b");
        new HeaderBlock().begin(source, 3).put("ct", "t".getBytes(StandardCharsets.US_ASCII)).finish();
        source.putStringWithoutLengthAscii(3 + 8, "xyz");
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[bytes.length]);
        final int length = DeliverFrame.encode(buffer, 0, 7, 0x0A0B0C0D, 0x0000000100000002L, 1,
            1700000000000000000L, 1000, 4242, source, 0, 3, 8 + 3);
        buffer.putByte(Protocol.FLAGS_OFFSET, (byte)Protocol.FLAG_HEADERS);
        assertThat(length).isEqualTo(bytes.length);
        assertThat(HEX.formatHex(buffer.byteArray())).isEqualTo(HEX.formatHex(bytes));
        assertThat(entries(bytes, blockAt)).containsExactly("ct=t");
    }

    @Test
    void requestWithHeaders()
    {
        final byte[] bytes = VALID.get("REQUEST HEADERS");
        assertThat(validate(Direction.FROM_CLIENT, bytes)).isZero();
        final UnsafeBuffer payload = new UnsafeBuffer(new byte[16]);
        final int blockLength = new HeaderBlock().begin(payload, 0).put("k", new byte[] {'v'}).finish();
        payload.putStringWithoutLengthAscii(blockLength, "hi");
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[bytes.length]);
        final int length =
            RequestFrame.encode(buffer, 0, 7, 2000, "svc.price", payload.byteArray(), 0, blockLength + 2);
        buffer.putByte(Protocol.FLAGS_OFFSET, (byte)Protocol.FLAG_HEADERS);
        assertThat(length).isEqualTo(bytes.length);
        assertThat(HEX.formatHex(buffer.byteArray())).isEqualTo(HEX.formatHex(bytes));
        assertThat(entries(bytes, RequestFrame.TOPIC_OFFSET + 9)).containsExactly("k=v");
        final byte[] cut = bytes.clone();
        cut[RequestFrame.TOPIC_OFFSET + 9] = 10; // block_length past the payload (9 bytes: block and "hi")
        assertThat(validate(Direction.FROM_CLIENT, cut)).isEqualTo(ErrorCode.INVALID_HEADERS);
    }

    @Test
    void responseWithHeaders()
    {
        final byte[] bytes = VALID.get("RESPONSE HEADERS");
        assertThat(validate(Direction.FROM_BROKER, bytes)).isZero();
        assertThat(validate(Direction.FROM_CLIENT, bytes)).isEqualTo(ErrorCode.PROTOCOL_VIOLATION);
        final UnsafeBuffer payload = new UnsafeBuffer(new byte[16]);
        final int blockLength = new HeaderBlock().begin(payload, 0).put("k", new byte[] {'v'}).finish();
        payload.putStringWithoutLengthAscii(blockLength, "ok");
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[bytes.length]);
        final int length = ResponseFrame.encodeReplied(buffer, 0, 7, 0x0A0B0C0D, 1000, 4242, 1700000000000000000L,
            payload, 0, blockLength + 2);
        buffer.putByte(Protocol.FLAGS_OFFSET, (byte)Protocol.FLAG_HEADERS);
        assertThat(length).isEqualTo(bytes.length);
        assertThat(HEX.formatHex(buffer.byteArray())).isEqualTo(HEX.formatHex(bytes));
        assertThat(entries(bytes, ResponseFrame.PAYLOAD_OFFSET)).containsExactly("k=v");
        final byte[] badKey = bytes.clone();
        badKey[ResponseFrame.PAYLOAD_OFFSET + 3] = 'K';
        assertThat(validate(Direction.FROM_BROKER, badKey)).as("from a broker the whole block is framing")
            .isEqualTo(ErrorCode.INVALID_HEADERS);
    }

    @Test
    void refusedDatagrams()
    {
        assertThat(REFUSED).hasSize(3);
        REFUSED.forEach((name, bytes) ->
            assertThat(validate(Direction.FROM_CLIENT, bytes)).as(name).isEqualTo(REFUSED_CODES.get(name)));
    }

    @Test
    void refusedBlocksAtTheirByte()
    {
        assertThat(BLOCKS).hasSize(6);
        final HeaderBlock block = new HeaderBlock();
        BLOCKS.forEach((name, bytes) ->
        {
            final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
            assertThat(block.check(buffer, 0, bytes.length, HeaderBlock.DEFAULT_MAX_HEADER_BYTES,
                HeaderBlock.DEFAULT_MAX_HEADERS)).as(name).isEqualTo(ErrorCode.INVALID_HEADERS);
            assertThat(block.errorOffset()).as(name + ": " + block.errorReason()).isEqualTo(BLOCK_OFFSETS.get(name));
        });
    }

    @Test
    void aBrokerOrPeerBlockIsCheckedWholeByFraming()
    {
        // The PUBLISH HEADERS vector's block with an upper-case key, as a DELIVER would carry it from a broker.
        final byte[] deliver = VALID.get("DELIVER HEADERS").clone();
        deliver[DeliverFrame.TOPIC_OFFSET + 3 + 3] = 'C';
        assertThat(validate(Direction.FROM_BROKER, deliver)).isEqualTo(ErrorCode.INVALID_HEADERS);
        final byte[] publish = VALID.get("PUBLISH HEADERS").clone();
        publish[PublishFrame.TOPIC_OFFSET + 3 + 3] = 'K';
        assertThat(validate(Direction.FROM_CLIENT, publish)).as("the broker's per-frame check, not framing").isZero();
    }

    private static String encodePublish(final String topic, final String[] keyValues, final String payload)
    {
        final UnsafeBuffer scratch = new UnsafeBuffer(new byte[256]);
        final HeaderBlock block = new HeaderBlock().begin(scratch, 0);
        for (int i = 0; i < keyValues.length; i += 2)
        {
            block.put(keyValues[i], keyValues[i + 1].getBytes(StandardCharsets.UTF_8));
        }
        final int blockLength = block.finish();
        scratch.putBytes(blockLength, payload.getBytes(StandardCharsets.UTF_8));
        final UnsafeBuffer out = new UnsafeBuffer(new byte[256]);
        final int length = PublishFrame.encode(out, 0, topic, scratch, 0, blockLength + payload.length());
        out.putByte(Protocol.FLAGS_OFFSET, (byte)Protocol.FLAG_HEADERS);
        final byte[] bytes = new byte[length];
        out.getBytes(0, bytes);
        return HEX.formatHex(bytes);
    }

    private static List<String> entries(final byte[] frame, final int blockAt)
    {
        final List<String> out = new ArrayList<>();
        final HeaderBlock block = new HeaderBlock().wrap(new UnsafeBuffer(frame), blockAt);
        while (block.next())
        {
            out.add(block.key() + "=" + block.value());
        }
        return out;
    }

    private static int validate(final Direction direction, final byte[] bytes)
    {
        return new FrameValidator(direction).validate(new UnsafeBuffer(bytes), 0, bytes.length);
    }

    private static byte[] hex(final String cell)
    {
        return HexFormat.of().parseHex(cell.substring(1, cell.length() - 1).replace(" ", ""));
    }
}
