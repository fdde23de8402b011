package io.seqbus.broker.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import io.seqbus.broker.acl.AclConfig;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a broker's settings come from, and the rule that combines them: a flag beats an
 * environment variable, which beats the config file, which beats the default
 * ({@link Settings}, or a {@code -Dseqbus.*} system property).
 *
 * <p>Every value is checked against its {@link Setting}; unknown keys, wrong types and values
 * out of range are all reported at once, each naming the key, its source (file:line, the
 * variable or the flag), the value and what is allowed. A value that is wrong only with the
 * others (below another setting's value, say) is reported the same way, naming where it was set.
 */
public final class BrokerConfig
{
    private static final Pattern TABLE = Pattern.compile("^\\s*\\[\\s*([^\\]]+?)\\s*\\]\\s*(#.*)?$");
    private static final Pattern KEY = Pattern.compile("^\\s*([A-Za-z0-9_.\"' -]+?)\\s*=");

    private final Path file;
    private final Map<String, String> env;
    private final Map<String, String> flags;

    /**
     * @param file  the TOML config file, or null for none.
     * @param env   the environment, usually {@link System#getenv()}; only {@code SEQBUS_*} names of settings are read.
     * @param flags flag values by setting key, as given on the command line.
     */
    public BrokerConfig(final Path file, final Map<String, String> env, final Map<String, String> flags)
    {
        this.file = file;
        this.env = Map.copyOf(env);
        this.flags = Map.copyOf(flags);
    }

    /**
     * @return the config file, or null.
     */
    public Path file()
    {
        return file;
    }

    /**
     * Reads every source and builds the settings, validated.
     *
     * @return a concluded context.
     * @throws ConfigException listing every problem.
     */
    public BrokerContext load()
    {
        final BrokerContext context;
        try
        {
            context = new BrokerContext();
        }
        catch (final SettingException ex)
        {
            throw new ConfigException(List.of(ex.getMessage()));
        }
        if (System.getProperty(Settings.METRICS.property()) == null)
        {
            Settings.ALL.forEach((s) -> s.applyDaemonDefault(context));
        }
        final List<String> problems = new ArrayList<>();
        final Map<String, String> fileKeys = new HashMap<>();
        if (file != null)
        {
            readFile(context, problems, fileKeys);
        }
        for (final Setting<?> setting : Settings.ALL)
        {
            final String value = env.get(setting.env());
            if (value != null)
            {
                applyText(context, setting, value, "environment " + setting.env(), problems);
            }
        }
        for (final Map.Entry<String, String> flag : flags.entrySet())
        {
            final Setting<?> setting = Settings.byKey(flag.getKey());
            if (setting == null)
            {
                problems.add("unknown setting '" + flag.getKey() + "'");
                continue;
            }
            applyText(context, setting, flag.getValue(), "flag " + setting.flag(), problems);
        }
        if (problems.isEmpty())
        {
            try
            {
                context.conclude();
            }
            catch (final SettingException ex)
            {
                problems.add(where(ex.setting(), fileKeys) + ex.getMessage());
            }
            catch (final IllegalArgumentException ex)
            {
                problems.add(ex.getMessage());
            }
        }
        if (!problems.isEmpty())
        {
            throw new ConfigException(problems);
        }
        return context;
    }

    /**
     * Where the value of a setting came from, as the user wrote it: the flag, the environment
     * variable, the line of the config file, or the system property; nothing for a default.
     */
    private String where(final Setting<?> setting, final Map<String, String> fileKeys)
    {
        if (flags.containsKey(setting.key()))
        {
            return "flag " + setting.flag() + ": ";
        }
        if (env.containsKey(setting.env()))
        {
            return "environment " + setting.env() + ": ";
        }
        if (fileKeys.containsKey(setting.key()))
        {
            return fileKeys.get(setting.key()) + ": ";
        }
        if (System.getProperty(setting.property()) != null)
        {
            return "system property " + setting.property() + ": ";
        }
        return "";
    }

    private void readFile(final BrokerContext context, final List<String> problems, final Map<String, String> fileKeys)
    {
        final String text;
        try
        {
            text = Files.readString(file, StandardCharsets.UTF_8);
        }
        catch (final IOException ex)
        {
            problems.add(file + ": cannot read: " + ex.getMessage());
            return;
        }
        final JsonNode root;
        try
        {
            root = new TomlMapper().readTree(text);
        }
        catch (final JacksonException ex)
        {
            problems.add(file + ": not valid TOML: " + ex.getOriginalMessage() +
                (ex.getLocation() != null && ex.getLocation().getLineNr() > 0 ?
                " (line " + ex.getLocation().getLineNr() + ")" : ""));
            return;
        }
        if (root == null)
        {
            return;
        }
        // The rules are an array of tables, not a scalar setting: their own reader takes them out
        // of the tree before the table-driven settings see it.
        final JsonNode acl = root.get("acl");
        if (acl instanceof ObjectNode aclTable && aclTable.has("rule"))
        {
            context.aclRules(AclConfig.parse(aclTable.remove("rule"), file.toString(), problems));
        }
        final Map<String, Integer> lines = keyLines(text);
        final Map<String, JsonNode> leaves = new LinkedHashMap<>();
        flatten("", root, leaves);
        for (final Map.Entry<String, JsonNode> leaf : leaves.entrySet())
        {
            final String key = leaf.getKey();
            final Integer line = lines.get(key);
            final String where = file + (line == null ? "" : ":" + line);
            final Setting<?> setting = Settings.byKey(key);
            if (setting == null)
            {
                problems.add(where + ": unknown key '" + key + "'; known keys: " + knownKeys());
                continue;
            }
            fileKeys.put(key, where);
            applyToml(context, setting, leaf.getValue(), where, problems);
        }
    }

    private static void flatten(final String prefix, final JsonNode node, final Map<String, JsonNode> leaves)
    {
        final Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
        while (fields.hasNext())
        {
            final Map.Entry<String, JsonNode> field = fields.next();
            final String key = prefix + field.getKey();
            // A table is a group of keys, unless no setting has the group's name (then it is
            // reported as a value of the wrong type rather than as unknown keys inside it).
            if (field.getValue().isObject() && Settings.byKey(key) == null)
            {
                flatten(key + ".", field.getValue(), leaves);
            }
            else
            {
                leaves.put(key, field.getValue());
            }
        }
    }

    private static <T> void applyToml(
        final BrokerContext context, final Setting<T> setting, final JsonNode value, final String where,
        final List<String> problems)
    {
        try
        {
            setting.set(context, setting.type().fromToml(value));
        }
        catch (final IllegalArgumentException ex)
        {
            problems.add(where + ": " + setting.key() + " = " + value + " is " + ex.getMessage());
        }
    }

    private static <T> void applyText(
        final BrokerContext context, final Setting<T> setting, final String value, final String where,
        final List<String> problems)
    {
        try
        {
            setting.set(context, setting.type().parse(value));
        }
        catch (final IllegalArgumentException ex)
        {
            problems.add(where + ": " + setting.key() + " = '" + value + "' is " + ex.getMessage());
        }
    }

    /**
     * Which line each key is on, for messages: the TOML reader keeps no positions. Follows
     * {@code [table]} headers and dotted keys; good enough for the flat files seqbus uses.
     */
    static Map<String, Integer> keyLines(final String text)
    {
        final Map<String, Integer> lines = new HashMap<>();
        String table = "";
        final String[] all = text.split("\n", -1);
        for (int i = 0; i < all.length; i++)
        {
            final String line = all[i];
            final Matcher t = TABLE.matcher(line);
            if (t.matches())
            {
                table = unquote(t.group(1)) + ".";
                continue;
            }
            final Matcher k = KEY.matcher(line);
            if (k.find() && !line.trim().startsWith("#"))
            {
                lines.putIfAbsent(table + unquote(k.group(1)), i + 1);
            }
        }
        return lines;
    }

    private static String unquote(final String key)
    {
        return key.replace("\"", "").replace("'", "").replaceAll("\\s*\\.\\s*", ".").trim();
    }

    private static String knownKeys()
    {
        final List<String> keys = new ArrayList<>();
        for (final Setting<?> s : Settings.ALL)
        {
            keys.add(s.key());
        }
        return String.join(", ", keys);
    }
}
