package io.seqbus.ops;

import io.seqbus.client.Headers;
import picocli.CommandLine;

import java.util.List;

/**
 * {@code --header KEY=VALUE} options ({@code pub}, {@code request}, {@code reply}), checked (key rules, sizes) before
 * connecting: bad ones are bad usage.
 */
final class HeaderArguments
{
    private HeaderArguments()
    {
    }

    /**
     * @param spec      the command, for its usage error.
     * @param arguments the options' values in order; a key may repeat.
     * @return the headers, {@link Headers#EMPTY} without any.
     * @throws CommandLine.ParameterException for an argument without '=' or a bad key or size.
     */
    static Headers parse(final CommandLine.Model.CommandSpec spec, final List<String> arguments)
    {
        if (arguments.isEmpty())
        {
            return Headers.EMPTY;
        }
        final Headers.Builder builder = Headers.builder();
        for (final String argument : arguments)
        {
            final int equals = argument.indexOf('=');
            if (equals < 0)
            {
                throw new CommandLine.ParameterException(spec.commandLine(),
                    "--header takes KEY=VALUE: '" + argument + "' has no '='");
            }
            try
            {
                builder.add(argument.substring(0, equals), argument.substring(equals + 1));
            }
            catch (final IllegalArgumentException ex)
            {
                throw new CommandLine.ParameterException(spec.commandLine(), "--header " + argument + ": " +
                    ex.getMessage());
            }
        }
        return builder.build();
    }
}
