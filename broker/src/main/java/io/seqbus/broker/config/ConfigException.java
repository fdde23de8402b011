package io.seqbus.broker.config;

import java.util.List;

/**
 * A configuration the broker refuses to start with: every problem found, one per line, each
 * naming the key, where it came from, the value and what is allowed.
 */
public final class ConfigException extends IllegalArgumentException
{
    private static final long serialVersionUID = 1L;

    private final List<String> problems;

    /**
     * @param problems one line each.
     */
    public ConfigException(final List<String> problems)
    {
        super(String.join("\n", problems));
        this.problems = List.copyOf(problems);
    }

    /**
     * @return one line per problem.
     */
    public List<String> problems()
    {
        return problems;
    }
}
