package io.seqbus.broker.config;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The type of a setting: how a value is read from text (flags, environment) and from a TOML
 * value, and what is allowed, in words, for error messages and documentation.
 *
 * @param <T> the Java type of a value.
 */
public abstract class SettingType<T>
{
    /**
     * @param text a value as written in a flag or an environment variable.
     * @return the value.
     * @throws IllegalArgumentException saying what is allowed when the text is not a value of this type.
     */
    public abstract T parse(String text);

    /**
     * @param node a value from the config file.
     * @return the value.
     * @throws IllegalArgumentException saying what is allowed when the node is of the wrong type or range.
     */
    public abstract T fromToml(JsonNode node);

    /**
     * @return what is allowed, e.g. {@code an integer in 1..65536}.
     */
    public abstract String allowed();

    /**
     * @param value a value of this type.
     * @return it as written in a TOML file.
     */
    public abstract String toToml(T value);

    /**
     * Checks a value already set, e.g. through a {@link BrokerContext} setter, against what is allowed, with
     * the bounds that name other settings read from the context.
     *
     * @param value   the value; null where the broker derives it.
     * @param context the settings the value goes with.
     * @return what is wrong, as {@code out of range; allowed: ...}, or null when the value is allowed.
     */
    public abstract String problem(T value, BrokerContext context);

    /**
     * @return true when what is allowed depends on other settings' values: such a setting is checked after
     * the others, so that a refusal names the setting the user got wrong.
     */
    public boolean dependsOnOthers()
    {
        return false;
    }

    /**
     * @param min smallest allowed.
     * @param max largest allowed.
     * @return whole numbers in {@code min..max}.
     */
    public static SettingType<Integer> integer(final int min, final int max)
    {
        return new IntegerType(Bound.of(min), Bound.of(max));
    }

    /**
     * @param min smallest allowed, maybe another setting's value.
     * @param max largest allowed, maybe another setting's value.
     * @return whole numbers in {@code min..max}.
     */
    public static SettingType<Integer> integer(final Bound min, final Bound max)
    {
        return new IntegerType(min, max);
    }

    /**
     * @param min smallest allowed.
     * @param max largest allowed.
     * @return a size in bytes in {@code min..max}, a whole number or with a binary unit ({@code 8MiB}).
     */
    public static SettingType<Long> bytes(final long min, final long max)
    {
        return new BytesType(min, max);
    }

    /**
     * @param min          smallest allowed, a power of two.
     * @param max          largest allowed, a power of two.
     * @param atLeastTimes another integer setting, declared before this one, a multiple of which is the least.
     * @param factor       that multiple.
     * @return a power of two in {@code min..max}, and at least {@code factor} times the other setting's value.
     */
    public static SettingType<Integer> powerOfTwo(
        final int min, final int max, final Setting<Integer> atLeastTimes, final int factor)
    {
        return new PowerOfTwoType(min, max, atLeastTimes, factor);
    }

    /**
     * @param maxBytes longest allowed, in UTF-8 bytes.
     * @return any string of at most {@code maxBytes} bytes; empty means "the default".
     */
    public static SettingType<String> text(final int maxBytes)
    {
        return new TextType(maxBytes);
    }

    /**
     * @param choices the allowed words, lower case.
     * @return one of {@code choices}.
     */
    public static SettingType<String> choice(final String... choices)
    {
        return new ChoiceType(List.of(choices));
    }

    /**
     * @param regex   what a value must match as a whole, after trimming.
     * @param allowed what that is, in words.
     * @return strings matching {@code regex}.
     */
    public static SettingType<String> pattern(final String regex, final String allowed)
    {
        return new PatternType(java.util.regex.Pattern.compile(regex), allowed);
    }

    /**
     * @return {@code HOST:PORT} (port 0: any free port) or {@code off}.
     */
    public static SettingType<String> endpoint()
    {
        return new EndpointType();
    }

    private static final class IntegerType extends SettingType<Integer>
    {
        private final Bound min;
        private final Bound max;

        IntegerType(final Bound min, final Bound max)
        {
            this.min = min;
            this.max = max;
        }

        @Override
        public Integer parse(final String text)
        {
            final long value;
            try
            {
                value = Long.parseLong(text.trim().replace("_", ""));
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException("not an integer; allowed: " + allowed());
            }
            return check(value);
        }

        @Override
        public Integer fromToml(final JsonNode node)
        {
            if (!node.isIntegralNumber())
            {
                throw new IllegalArgumentException("wrong type (" + describe(node) + "); allowed: " + allowed());
            }
            if (!node.canConvertToLong())
            {
                throw new IllegalArgumentException("out of range; allowed: " + allowed());
            }
            return check(node.longValue());
        }

        /** The bounds that are numbers; those naming another setting are checked once all are read. */
        private Integer check(final long value)
        {
            if ((min.isFixed() && value < min.value(null)) || (max.isFixed() && value > max.value(null)) ||
                value < Integer.MIN_VALUE || value > Integer.MAX_VALUE)
            {
                throw new IllegalArgumentException("out of range; allowed: " + allowed());
            }
            return (int)value;
        }

        @Override
        public String problem(final Integer value, final BrokerContext context)
        {
            if (value == null || (value >= min.value(context) && value <= max.value(context)))
            {
                return null;
            }
            return "out of range; allowed: " + allowed(context);
        }

        @Override
        public boolean dependsOnOthers()
        {
            return !min.isFixed() || !max.isFixed();
        }

        @Override
        public String allowed()
        {
            return allowed(null);
        }

        private String allowed(final BrokerContext context)
        {
            return "an integer in " + min.describe(context) + ".." + max.describe(context);
        }

        @Override
        public String toToml(final Integer value)
        {
            return value.toString();
        }
    }

    /** Ring sizes: a ring masks its positions, so its capacity is a power of two (issue 15). */
    private static final class PowerOfTwoType extends SettingType<Integer>
    {
        private final int min;
        private final int max;
        private final Setting<Integer> atLeastTimes;
        private final int factor;

        PowerOfTwoType(final int min, final int max, final Setting<Integer> atLeastTimes, final int factor)
        {
            this.min = min;
            this.max = max;
            this.atLeastTimes = atLeastTimes;
            this.factor = factor;
        }

        @Override
        public Integer parse(final String text)
        {
            final long value;
            try
            {
                value = new BytesType(min, max).parse(text);
            }
            catch (final IllegalArgumentException ex)
            {
                throw new IllegalArgumentException("not a power of two in range; allowed: " + allowed());
            }
            return check(value);
        }

        @Override
        public Integer fromToml(final JsonNode node)
        {
            final long value;
            try
            {
                value = new BytesType(min, max).fromToml(node);
            }
            catch (final IllegalArgumentException ex)
            {
                throw new IllegalArgumentException("not a power of two in range; allowed: " + allowed());
            }
            return check(value);
        }

        private Integer check(final long value)
        {
            if (value < min || value > max || Long.bitCount(value) != 1)
            {
                throw new IllegalArgumentException("not a power of two in range; allowed: " + allowed());
            }
            return (int)value;
        }

        @Override
        public String problem(final Integer value, final BrokerContext context)
        {
            if (value == null)
            {
                return null;
            }
            final long least = (long)factor * atLeastTimes.get(context);
            if (value < min || value > max || Integer.bitCount(value) != 1 || value < least)
            {
                return "not allowed; allowed: " + allowed() + " (" + least + ")";
            }
            return null;
        }

        @Override
        public boolean dependsOnOthers()
        {
            return true;
        }

        @Override
        public String allowed()
        {
            return "a power of two in " + min + ".." + max + " bytes (a number, or a string such as \"1MiB\"), " +
                "at least " + factor + " x " + atLeastTimes.key();
        }

        @Override
        public String toToml(final Integer value)
        {
            return value.toString();
        }
    }

    /**
     * Sizes past 2 GiB (descriptor bytes in flight): a long, written as a number or a string with a
     * binary unit, because {@code 17179869184} is hard to read and easy to get wrong by a digit.
     */
    private static final class BytesType extends SettingType<Long>
    {
        private static final String[] UNITS = {"KiB", "MiB", "GiB", "TiB"};

        private final long min;
        private final long max;

        BytesType(final long min, final long max)
        {
            this.min = min;
            this.max = max;
        }

        @Override
        public Long parse(final String text)
        {
            final String value = text.trim().replace("_", "");
            long factor = 1;
            String digits = value;
            for (int i = 0; i < UNITS.length; i++)
            {
                if (value.endsWith(UNITS[i]))
                {
                    factor = 1L << (10 * (i + 1));
                    digits = value.substring(0, value.length() - UNITS[i].length()).trim();
                    break;
                }
            }
            final long number;
            try
            {
                number = Long.parseLong(digits);
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException("not a size; allowed: " + allowed());
            }
            if (number > Long.MAX_VALUE / factor || number < Long.MIN_VALUE / factor)
            {
                throw new IllegalArgumentException("out of range; allowed: " + allowed());
            }
            return check(number * factor);
        }

        @Override
        public Long fromToml(final JsonNode node)
        {
            if (node.isTextual())
            {
                return parse(node.textValue());
            }
            if (!node.isIntegralNumber())
            {
                throw new IllegalArgumentException("wrong type (" + describe(node) + "); allowed: " + allowed());
            }
            if (!node.canConvertToLong())
            {
                throw new IllegalArgumentException("out of range; allowed: " + allowed());
            }
            return check(node.longValue());
        }

        private Long check(final long value)
        {
            if (value < min || value > max)
            {
                throw new IllegalArgumentException("out of range; allowed: " + allowed());
            }
            return value;
        }

        @Override
        public String problem(final Long value, final BrokerContext context)
        {
            return value == null || (value >= min && value <= max) ? null : "out of range; allowed: " + allowed();
        }

        @Override
        public String allowed()
        {
            return "a size in bytes in " + min + ".." + max + " (a number, or a string such as \"8MiB\")";
        }

        @Override
        public String toToml(final Long value)
        {
            for (int i = UNITS.length - 1; i >= 0; i--)
            {
                final long unit = 1L << (10 * (i + 1));
                if (value != 0 && value % unit == 0)
                {
                    return quote(value / unit + UNITS[i]);
                }
            }
            return value.toString();
        }
    }

    /** A setting written as a TOML string, checked by {@link #parse}. */
    private abstract static class TextualType extends SettingType<String>
    {
        @Override
        public String fromToml(final JsonNode node)
        {
            if (!node.isTextual())
            {
                throw new IllegalArgumentException("wrong type (" + describe(node) + "); allowed: " + allowed());
            }
            return parse(node.textValue());
        }

        @Override
        public String problem(final String value, final BrokerContext context)
        {
            if (value == null)
            {
                return null;
            }
            try
            {
                parse(value);
                return null;
            }
            catch (final IllegalArgumentException ex)
            {
                return ex.getMessage();
            }
        }
    }

    private static final class TextType extends TextualType
    {
        private final int maxBytes;

        TextType(final int maxBytes)
        {
            this.maxBytes = maxBytes;
        }

        @Override
        public String parse(final String text)
        {
            if (text.getBytes(StandardCharsets.UTF_8).length > maxBytes)
            {
                throw new IllegalArgumentException("too long; allowed: " + allowed());
            }
            return text;
        }

        @Override
        public String allowed()
        {
            return "a string of at most " + maxBytes + " bytes";
        }

        @Override
        public String toToml(final String value)
        {
            return quote(value == null ? "" : value);
        }
    }

    private static final class ChoiceType extends TextualType
    {
        private final List<String> choices;

        ChoiceType(final List<String> choices)
        {
            this.choices = choices;
        }

        @Override
        public String parse(final String text)
        {
            final String word = text.trim().toLowerCase(java.util.Locale.ROOT);
            if (!choices.contains(word))
            {
                throw new IllegalArgumentException("not a choice; allowed: " + allowed());
            }
            return word;
        }

        @Override
        public String allowed()
        {
            return "one of " + String.join(", ", choices);
        }

        @Override
        public String toToml(final String value)
        {
            return quote(value);
        }
    }

    private static final class PatternType extends TextualType
    {
        private final java.util.regex.Pattern regex;
        private final String allowed;

        PatternType(final java.util.regex.Pattern regex, final String allowed)
        {
            this.regex = regex;
            this.allowed = allowed;
        }

        @Override
        public String parse(final String text)
        {
            final String value = text.trim();
            if (!regex.matcher(value).matches())
            {
                throw new IllegalArgumentException("not valid; allowed: " + allowed());
            }
            return value;
        }

        @Override
        public String allowed()
        {
            return allowed;
        }

        @Override
        public String toToml(final String value)
        {
            return quote(value == null ? "" : value);
        }
    }

    private static final class EndpointType extends TextualType
    {
        @Override
        public String parse(final String text)
        {
            final String value = text.trim();
            if ("off".equalsIgnoreCase(value))
            {
                return "off";
            }
            final int colon = value.lastIndexOf(':');
            if (colon <= 0)
            {
                throw new IllegalArgumentException("not HOST:PORT; allowed: " + allowed());
            }
            final int port;
            try
            {
                port = Integer.parseInt(value.substring(colon + 1));
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException("port is not a number; allowed: " + allowed());
            }
            if (port < 0 || port > 65535)
            {
                throw new IllegalArgumentException("port out of range; allowed: " + allowed());
            }
            return value;
        }

        @Override
        public String allowed()
        {
            return "HOST:PORT (port 0 picks a free port) or off";
        }

        @Override
        public String toToml(final String value)
        {
            return quote(value);
        }
    }

    static String describe(final JsonNode node)
    {
        if (node.isTextual())
        {
            return "a string";
        }
        if (node.isBoolean())
        {
            return "a boolean";
        }
        if (node.isNumber())
        {
            return node.isIntegralNumber() ? "an integer" : "a float";
        }
        if (node.isArray())
        {
            return "an array";
        }
        if (node.isObject())
        {
            return "a table";
        }
        return node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    }

    static String quote(final String value)
    {
        return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
