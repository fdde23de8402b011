package io.seqbus.broker.config;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

/**
 * The settings table is the only table: for every setting, the range its help states is the
 * range the example config states and the range the broker enforces, and a value just outside
 * it is refused with a message that names what the user wrote (the flag, the environment
 * variable or the config file's key), whichever way it came.
 */
class SettingsAgreementTest
{
    /** {@code an integer in LOW..HIGH}, each end a number or {@code key[ - n] (by default N)}. */
    private static final Pattern RANGE = Pattern.compile("an integer in (.+)\\.\\.(.+)");
    /** {@code a size in bytes in LOW..HIGH (...)}: the long settings (issue 14). */
    private static final Pattern BYTES = Pattern.compile("a size in bytes in (\\d+)\\.\\.(\\d+) .*");
    private static final Pattern END = Pattern.compile("(-?\\d+)|[a-z_.]+(?: - \\d+)? \\(by default (\\d+)\\)");

    @TempDir
    Path dir;

    static Stream<Setting<?>> settings()
    {
        return Settings.ALL.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("settings")
    void helpAndExampleStateTheSameAllowedValues(final Setting<?> setting)
    {
        final String allowed = setting.type().allowed();
        assertThat(setting.help()).contains("Allowed: " + allowed + ".");
        assertThat(ExampleConfig.render()).contains(
            "# " + setting.doc() + "\n# Allowed: " + allowed + "; reload: ");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("settings")
    void aValueJustOutsideTheStatedRangeIsRefusedNamingWhatTheUserWrote(final Setting<?> setting) throws Exception
    {
        final List<String> outside = new ArrayList<>();
        final List<String> inside = new ArrayList<>();
        final String allowed = setting.type().allowed();
        final Matcher range = RANGE.matcher(allowed);
        if (range.matches())
        {
            final long low = end(range.group(1), allowed);
            final long high = end(range.group(2), allowed);
            inside.add(Long.toString(low));
            inside.add(Long.toString(high));
            if (low > Integer.MIN_VALUE)
            {
                outside.add(Long.toString(low - 1));
            }
            if (high < Integer.MAX_VALUE)
            {
                outside.add(Long.toString(high + 1));
            }
        }
        else if (BYTES.matcher(allowed).matches())
        {
            final Matcher bytes = BYTES.matcher(allowed);
            bytes.matches();
            final long low = Long.parseLong(bytes.group(1));
            final long high = Long.parseLong(bytes.group(2));
            inside.add(Long.toString(low));
            inside.add(Long.toString(high));
            outside.add(Long.toString(low - 1));
            outside.add(Long.toString(high + 1));
        }
        else if (allowed.startsWith("one of "))
        {
            inside.addAll(List.of(allowed.substring("one of ".length()).split(", ")));
            outside.add("none-of-these");
        }
        else if (allowed.startsWith("a string of at most "))
        {
            final int bytes = Integer.parseInt(allowed.replaceAll("\\D+", ""));
            outside.add("x".repeat(bytes + 1));
        }
        for (final String value : outside)
        {
            final String toml = value.matches("-?\\d+") ? value : "\"" + value + "\"";
            assertRefused(load(Map.of(), Map.of(setting.key(), value)), "flag " + setting.flag() + ": " +
                setting.key() + " = ", allowed);
            assertRefused(load(Map.of(setting.env(), value), Map.of()), "environment " + setting.env() + ": " +
                setting.key() + " = ", allowed);
            final Path file = Files.writeString(dir.resolve(setting.key() + ".conf"), tomlLine(setting.key(), toml));
            assertRefused(load(file), file + ":" + (setting.key().contains(".") ? 2 : 1) + ": " + setting.key() + " = ",
                allowed);
        }
        for (final String value : inside)
        {
            final List<String> problems = load(Map.of(), Map.of(setting.key(), value));
            assertThat(problems).as("%s = %s is inside the stated range", setting.key(), value)
                .noneMatch((p) -> p.contains(setting.key() + " = ") || p.contains(setting.property()));
        }
    }

    /** In-range and out-of-range end up in the same words: the refusal quotes the stated range. */
    private static void assertRefused(final List<String> problems, final String prefix, final String allowed)
    {
        assertThat(problems).as("refused naming %s", prefix).anySatisfy((p) ->
        {
            assertThat(p).startsWith(prefix);
            // A bound naming another setting reads "(N)" or, refused as the value was read, "(by default N)".
            assertThat(p.replace("(by default ", "(").replaceAll(" \\(\\d+\\)", ""))
                .contains(allowed.replaceAll(" \\(by default \\d+\\)", ""));
        });
    }

    private static long end(final String text, final String allowed)
    {
        final Matcher m = END.matcher(text);
        if (!m.matches())
        {
            fail("cannot read the end '" + text + "' of " + allowed);
        }
        return Long.parseLong(m.group(1) != null ? m.group(1) : m.group(2));
    }

    private static String tomlLine(final String key, final String toml)
    {
        final int dot = key.indexOf('.');
        return dot < 0 ? key + " = " + toml + "\n" :
            "[" + key.substring(0, dot) + "]\n" + key.substring(dot + 1) + " = " + toml + "\n";
    }

    private List<String> load(final Map<String, String> env, final Map<String, String> flags)
    {
        return problems(new BrokerConfig(null, withSocket(env), flags));
    }

    private List<String> load(final Path file)
    {
        return problems(new BrokerConfig(file, withSocket(Map.of()), Map.of()));
    }

    /** A socket in the test's folder, and no metrics port, so nothing else can be at fault. */
    private Map<String, String> withSocket(final Map<String, String> env)
    {
        final Map<String, String> all = new java.util.HashMap<>(env);
        all.putIfAbsent("SEQBUS_SOCKET", dir.resolve("s.sock").toString());
        all.putIfAbsent("SEQBUS_METRICS", "off");
        return all;
    }

    private static List<String> problems(final BrokerConfig config)
    {
        try
        {
            config.load();
            return List.of();
        }
        catch (final ConfigException ex)
        {
            return ex.problems();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("settings")
    void aContextSetInJavaIsHeldToTheSameRange(final Setting<?> setting)
    {
        final Matcher range = RANGE.matcher(setting.type().allowed());
        if (!range.matches() || setting.key().endsWith("_ms"))
        {
            return; // the Java setters of the *_ms settings take nanoseconds
        }
        @SuppressWarnings("unchecked") final Setting<Integer> integer = (Setting<Integer>)setting;
        final long low = end(range.group(1), setting.type().allowed());
        if (low > Integer.MIN_VALUE)
        {
            final BrokerContext context = new BrokerContext().socket(dir.resolve("j.sock").toString());
            integer.set(context, (int)(low - 1));
            assertThatThrownBy(context::conclude).isInstanceOf(SettingException.class)
                .hasMessageStartingWith(setting.key() + " = " + (low - 1) + " is out of range; allowed: ");
        }
    }
}
