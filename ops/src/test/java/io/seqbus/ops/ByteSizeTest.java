package io.seqbus.ops;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ByteSizeTest
{
    @Test
    void readsBytesWithBinaryUnits()
    {
        assertThat(ByteSize.parse("64")).isEqualTo(64);
        assertThat(ByteSize.parse("1KiB")).isEqualTo(1024);
        assertThat(ByteSize.parse("64MiB")).isEqualTo(64 << 20);
        assertThat(ByteSize.parse("1g")).isEqualTo(1 << 30);
        assertThat(ByteSize.parse("2047MiB")).isEqualTo(2047 << 20);
    }

    @Test
    void refusesWhatIsNoByteCountOrTooLarge()
    {
        assertThatThrownBy(() -> ByteSize.parse("64MB")).isInstanceOf(CommandLine.TypeConversionException.class)
            .hasMessageContaining("'64MB' is not a byte count");
        assertThatThrownBy(() -> ByteSize.parse("MiB")).hasMessageContaining("not a byte count");
        assertThatThrownBy(() -> ByteSize.parse("2GiB")).hasMessageContaining("at most 2 GiB - 1");
        assertThatThrownBy(() -> ByteSize.parse("99999999999999999999")).hasMessageContaining("too large");
    }

    @Test
    void aSavedPayloadsFileNameIsTheTopicWithSlashAndPercentEscaped()
    {
        assertThat(PayloadSaver.fileName("a/b.%c", -1L, 7)).isEqualTo("a%2Fb.%25c.18446744073709551615.7");
    }
}
