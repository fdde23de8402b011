package io.seqbus.broker.config;

import java.util.Locale;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * One broker setting, the single source of its TOML key, {@code SEQBUS_*} environment
 * variable, {@code seqbus broker} flag, {@code -Dseqbus.*} system property, default, allowed
 * values, documentation and how it reaches {@link BrokerContext}.
 *
 * @param <T> the Java type of its value.
 */
public final class Setting<T>
{
    /** Whether a changed value can take effect on reload (SIGHUP) or needs a restart. */
    public enum Reload
    {
        /** Takes effect on reload. */
        LIVE,
        /** Needs a restart; a reload logs that it was not applied. */
        RESTART
    }

    private final String key;
    private final SettingType<T> type;
    private final T defaultValue;
    private final Reload reload;
    private final String doc;
    private final String defaultDoc;
    private final Function<BrokerContext, T> getter;
    private final BiConsumer<BrokerContext, T> setter;
    private final T daemonDefault;

    /**
     * @param key          TOML key; {@code a.b} means key {@code b} in table {@code [a]}.
     * @param type         what values are allowed.
     * @param defaultValue the value when nothing sets it; null where {@link BrokerContext#conclude()} derives it.
     * @param reload       whether a reload applies it.
     * @param doc          one line of documentation.
     * @param defaultDoc   the default in words when it is not a fixed value, else null.
     * @param getter       reads it from a context.
     * @param setter       writes it to a context.
     */
    public Setting(
        final String key, final SettingType<T> type, final T defaultValue, final Reload reload, final String doc,
        final String defaultDoc, final Function<BrokerContext, T> getter, final BiConsumer<BrokerContext, T> setter)
    {
        this(key, type, defaultValue, reload, doc, defaultDoc, getter, setter, null);
    }

    private Setting(
        final String key, final SettingType<T> type, final T defaultValue, final Reload reload, final String doc,
        final String defaultDoc, final Function<BrokerContext, T> getter, final BiConsumer<BrokerContext, T> setter,
        final T daemonDefault)
    {
        this.key = key;
        this.type = type;
        this.defaultValue = defaultValue;
        this.reload = reload;
        this.doc = doc;
        this.defaultDoc = defaultDoc;
        this.getter = getter;
        this.setter = setter;
        this.daemonDefault = daemonDefault;
    }

    /**
     * @param daemonDefault default for {@code seqbus broker} where it differs from an embedded broker's.
     * @return this setting with that daemon default.
     */
    public Setting<T> daemonDefault(final T daemonDefault)
    {
        return new Setting<>(key, type, defaultValue, reload, doc, defaultDoc, getter, setter, daemonDefault);
    }

    /** @return the TOML key, dotted for keys inside a table. */
    public String key()
    {
        return key;
    }

    /** @return the command-line flag: {@code --} then the key with dots and underscores as dashes. */
    public String flag()
    {
        return "--" + key.replace('.', '-').replace('_', '-');
    }

    /** @return the environment variable: {@code SEQBUS_} then the key upper-cased, dots as underscores. */
    public String env()
    {
        return "SEQBUS_" + key.replace('.', '_').toUpperCase(Locale.ROOT);
    }

    /** @return the system property that overrides the default: {@code seqbus.} then the key, underscores as dots. */
    public String property()
    {
        return "seqbus." + key.replace('_', '.');
    }

    /** @return the value type. */
    public SettingType<T> type()
    {
        return type;
    }

    /** @return whether a reload applies it. */
    public Reload reload()
    {
        return reload;
    }

    /** @return one line of documentation. */
    public String doc()
    {
        return doc;
    }

    /** @return the default of an embedded broker; null where it is derived when concluding. */
    public T defaultValue()
    {
        return defaultValue;
    }

    /** @return the default of {@code seqbus broker}. */
    public T daemonDefaultValue()
    {
        return daemonDefault != null ? daemonDefault : defaultValue;
    }

    /**
     * @return the default as TOML when it is a fixed value, else null (see {@link #defaultDoc()}).
     */
    public String defaultToml()
    {
        return defaultDoc != null ? null : type.toToml(daemonDefaultValue());
    }

    /** @return the default in words. */
    public String defaultDoc()
    {
        return defaultDoc != null ? defaultDoc : defaultToml();
    }

    /**
     * @return the help of its flag: the doc, what is allowed, the default, the environment variable and whether
     * a reload applies it.
     */
    public String help()
    {
        return doc + " Allowed: " + type.allowed() + ". Default: " + defaultDoc() + ". Env " + env() +
            (reload == Reload.LIVE ? "; reloadable." : ".");
    }

    /**
     * Sets the default, or the value of the system property {@link #property()} when set.
     *
     * @param context a fresh context.
     * @throws SettingException when the system property holds no allowed value.
     */
    void applyDefault(final BrokerContext context)
    {
        final String text = System.getProperty(property());
        if (text == null)
        {
            setter.accept(context, defaultValue);
            return;
        }
        try
        {
            setter.accept(context, type.parse(text));
        }
        catch (final IllegalArgumentException ex)
        {
            throw new SettingException(this, "system property " + property() + ": " + key + " = '" + text + "' is " +
                ex.getMessage());
        }
    }

    /**
     * Sets the daemon's default where it differs from an embedded broker's.
     *
     * @param context a fresh context for {@code seqbus broker}.
     */
    public void applyDaemonDefault(final BrokerContext context)
    {
        if (daemonDefault != null)
        {
            setter.accept(context, daemonDefault);
        }
    }

    /**
     * Checks the value in a context against what is allowed, bounds that name other settings included.
     *
     * @param context whose value to check.
     * @throws SettingException naming this setting's key when the value is not allowed.
     */
    void check(final BrokerContext context)
    {
        final T value = get(context);
        final String problem = type.problem(value, context);
        if (problem != null)
        {
            throw new SettingException(this, key + " = " + type.toToml(value) + " is " + problem);
        }
    }

    /**
     * @param context to read.
     * @return this setting's value in it.
     */
    public T get(final BrokerContext context)
    {
        return getter.apply(context);
    }

    /**
     * @param context to write.
     * @param value   a value of this setting's type, already checked.
     */
    public void set(final BrokerContext context, final T value)
    {
        setter.accept(context, value);
    }

    /**
     * Copies this setting's value from one context to another.
     *
     * @param from source.
     * @param to   destination.
     */
    public void copy(final BrokerContext from, final BrokerContext to)
    {
        setter.accept(to, getter.apply(from));
    }

    @Override
    public String toString()
    {
        return key;
    }
}
