package io.seqbus.ops;

import io.seqbus.broker.config.Setting;
import io.seqbus.broker.config.Settings;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code seqbus broker --help} states, for every setting, the allowed values the broker enforces:
 * the flag's help is the table's ({@code SettingsAgreementTest} in the broker holds the table to
 * the enforced ranges and the example config).
 */
class BrokerHelpTest
{
    @Test
    void helpStatesEverySettingsAllowedValuesFromTheTable()
    {
        final PrintStream out = System.out;
        final ByteArrayOutputStream help = new ByteArrayOutputStream();
        System.setOut(new PrintStream(help, true, StandardCharsets.UTF_8));
        try
        {
            assertThat(Main.run("broker", "--help")).isZero();
        }
        finally
        {
            System.setOut(out);
        }
        // picocli wraps the descriptions, long words too: compare with all white space taken out.
        final String text = squeeze(help.toString(StandardCharsets.UTF_8));
        for (final Setting<?> s : Settings.ALL)
        {
            assertThat(text).as(s.key()).contains(squeeze(s.flag() + "=" +
                s.key().toUpperCase(java.util.Locale.ROOT).replace('.', '_') + " " + s.doc() + " Allowed: " +
                s.type().allowed() + ". Default: " + s.defaultDoc() + "."));
        }
    }

    private static String squeeze(final String text)
    {
        return text.replaceAll("\\s+", "");
    }
}
