package io.seqbus.broker.config;

import io.seqbus.broker.Broker;

import java.util.Locale;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * One broker setting, the single source of its TOML key, {@code SEQBUS_*} environment
 * variable, {@code seqbus broker} flag, documentation and how it reaches {@link Broker.Context}.
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
    private final Reload reload;
    private final String doc;
    private final String defaultDoc;
    private final Function<Broker.Context, T> getter;
    private final BiConsumer<Broker.Context, T> setter;
    private final T daemonDefault;

    /**
     * @param key        TOML key; {@code a.b} means key {@code b} in table {@code [a]}.
     * @param type       what values are allowed.
     * @param reload     whether a reload applies it.
     * @param doc        one line of documentation.
     * @param defaultDoc the default in words when it is not a fixed value, else null.
     * @param getter     reads it from a context.
     * @param setter     writes it to a context.
     */
    public Setting(
        final String key, final SettingType<T> type, final Reload reload, final String doc, final String defaultDoc,
        final Function<Broker.Context, T> getter, final BiConsumer<Broker.Context, T> setter)
    {
        this(key, type, reload, doc, defaultDoc, getter, setter, null);
    }

    /**
     * @param key           TOML key; {@code a.b} means key {@code b} in table {@code [a]}.
     * @param type          what values are allowed.
     * @param reload        whether a reload applies it.
     * @param doc           one line of documentation.
     * @param defaultDoc    the default in words when it is not a fixed value, else null.
     * @param getter        reads it from a context.
     * @param setter        writes it to a context.
     * @param daemonDefault default for {@code seqbus broker} when it differs from an embedded
     *                      broker's ({@link Broker.Context}'s), else null.
     */
    public Setting(
        final String key, final SettingType<T> type, final Reload reload, final String doc, final String defaultDoc,
        final Function<Broker.Context, T> getter, final BiConsumer<Broker.Context, T> setter, final T daemonDefault)
    {
        this.daemonDefault = daemonDefault;
        this.key = key;
        this.type = type;
        this.reload = reload;
        this.doc = doc;
        this.defaultDoc = defaultDoc;
        this.getter = getter;
        this.setter = setter;
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

    /**
     * @return the default as TOML when it is a fixed value, else null (see {@link #defaultDoc()}).
     */
    public String defaultToml()
    {
        if (defaultDoc != null)
        {
            return null;
        }
        return type.toToml(daemonDefault != null ? daemonDefault : getter.apply(new Broker.Context()));
    }

    /**
     * Sets the daemon's default where it differs from an embedded broker's.
     *
     * @param context a fresh context for {@code seqbus broker}.
     */
    public void applyDaemonDefault(final Broker.Context context)
    {
        if (daemonDefault != null)
        {
            setter.accept(context, daemonDefault);
        }
    }

    /** @return the default in words. */
    public String defaultDoc()
    {
        return defaultDoc != null ? defaultDoc : defaultToml();
    }

    /**
     * @param context to read.
     * @return this setting's value in it.
     */
    public T get(final Broker.Context context)
    {
        return getter.apply(context);
    }

    /**
     * @param context to write.
     * @param value   a value of this setting's type, already checked.
     */
    public void set(final Broker.Context context, final T value)
    {
        setter.accept(context, value);
    }

    /**
     * Copies this setting's value from one context to another.
     *
     * @param from source.
     * @param to   destination.
     */
    public void copy(final Broker.Context from, final Broker.Context to)
    {
        setter.accept(to, getter.apply(from));
    }

    @Override
    public String toString()
    {
        return key;
    }
}
