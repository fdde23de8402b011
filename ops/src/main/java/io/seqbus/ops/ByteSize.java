package io.seqbus.ops;

import picocli.CommandLine;

import java.util.Locale;

/**
 * A byte count as people write it on a command line: {@code 1024}, {@code 64KiB}, {@code 64MiB}, {@code 1GiB}
 * (also {@code k}, {@code M}, {@code G}, in powers of 1024).
 */
final class ByteSize implements CommandLine.ITypeConverter<Integer>
{
    @Override
    public Integer convert(final String value)
    {
        return parse(value);
    }

    /**
     * @param value such as {@code 64MiB}.
     * @return the bytes.
     * @throws CommandLine.TypeConversionException with what is wrong, when it is no byte count below 2 GiB.
     */
    static int parse(final String value)
    {
        final String text = value.strip();
        int digits = 0;
        while (digits < text.length() && Character.isDigit(text.charAt(digits)))
        {
            digits++;
        }
        final int shift = switch (text.substring(digits).toLowerCase(Locale.ROOT))
        {
            case "", "b" -> 0;
            case "k", "kib" -> 10;
            case "m", "mib" -> 20;
            case "g", "gib" -> 30;
            default -> -1;
        };
        if (digits == 0 || shift < 0)
        {
            throw new CommandLine.TypeConversionException("'" + value + "' is not a byte count: write a number, " +
                "optionally followed by KiB, MiB or GiB (64MiB)");
        }
        // At most 10 digits: anything longer is over 2 GiB in any unit, and fits a long for the check below.
        final long number = digits <= 10 ? Long.parseLong(text.substring(0, digits)) : Long.MAX_VALUE;
        if (number > (Integer.MAX_VALUE >> shift))
        {
            throw new CommandLine.TypeConversionException("'" + value + "' is too large: at most 2 GiB - 1 bytes");
        }
        final long bytes = number << shift;
        return (int)bytes;
    }
}
