package io.seqbus.broker.config;

/**
 * A setting whose value is not allowed, alone or with the others. It names the setting, so
 * that {@link BrokerConfig} can say where the value came from: the flag, the environment
 * variable or the line of the config file the user wrote.
 */
public final class SettingException extends IllegalArgumentException
{
    private static final long serialVersionUID = 1L;

    private final transient Setting<?> setting;

    /**
     * @param setting the setting at fault.
     * @param message what is wrong, beginning with the key and the value, ending with what is allowed.
     */
    public SettingException(final Setting<?> setting, final String message)
    {
        super(message);
        this.setting = setting;
    }

    /**
     * @param setting the setting at fault.
     * @param value   its value as written.
     * @param problem what is wrong with it and what is allowed.
     * @return the exception, with the message {@code key = value problem}.
     */
    public static SettingException of(final Setting<?> setting, final Object value, final String problem)
    {
        return new SettingException(setting, setting.key() + " = " + value + " " + problem);
    }

    /** @return the setting at fault. */
    public Setting<?> setting()
    {
        return setting;
    }
}
