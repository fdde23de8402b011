package io.seqbus.broker.testing;

import io.seqbus.broker.config.BrokerContext;
import io.seqbus.broker.acl.AclRule;
import io.seqbus.broker.config.Setting;
import io.seqbus.broker.config.Settings;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;

/**
 * A broker context as a properties file, so that a broker in a child JVM starts with what the test configured in
 * its own: every setting of {@link Settings#ALL} (as its flag would be written), the node id and the ACL rules.
 * A failure handler cannot cross; the child logs an agent failure and exits.
 */
final class ContextFile
{
    private static final String NODE_ID = "seqbus-testing.node_id";
    private static final String RULES = "seqbus-testing.acl.rules";
    private static final String RULE = "seqbus-testing.acl.rule.";
    // Patterns and topics hold no newline (SPEC.md, Topics): it separates the items of a list.
    private static final String LIST_SEPARATOR = "\n";

    private ContextFile()
    {
    }

    static void write(final BrokerContext context, final Path file) throws IOException
    {
        final Properties properties = new Properties();
        for (final Setting<?> setting : Settings.ALL)
        {
            final Object value = setting.get(context);
            if (value != null)
            {
                properties.setProperty(setting.key(), value.toString());
            }
        }
        properties.setProperty(NODE_ID, Integer.toString(context.nodeId()));
        final List<AclRule> rules = context.aclRules();
        properties.setProperty(RULES, Integer.toString(rules.size()));
        for (int i = 0; i < rules.size(); i++)
        {
            final AclRule rule = rules.get(i);
            properties.setProperty(RULE + i + ".uid", Integer.toString(rule.uid()));
            properties.setProperty(RULE + i + ".gid", Integer.toString(rule.gid()));
            properties.setProperty(RULE + i + ".label", rule.label());
            properties.setProperty(RULE + i + ".publish", String.join(LIST_SEPARATOR, rule.publish()));
            properties.setProperty(RULE + i + ".subscribe", String.join(LIST_SEPARATOR, rule.subscribe()));
            properties.setProperty(RULE + i + ".block", Boolean.toString(rule.block()));
        }
        try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8))
        {
            properties.store(out, "seqbus-broker-testing: the broker context of a child JVM");
        }
    }

    static BrokerContext read(final Path file) throws IOException
    {
        final Properties properties = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8))
        {
            properties.load(in);
        }
        final BrokerContext context = new BrokerContext();
        for (final Setting<?> setting : Settings.ALL)
        {
            final String text = properties.getProperty(setting.key());
            if (text != null)
            {
                apply(setting, context, text);
            }
        }
        context.nodeId(Integer.parseInt(properties.getProperty(NODE_ID, "0")));
        final int count = Integer.parseInt(properties.getProperty(RULES, "0"));
        final List<AclRule> rules = new ArrayList<>(count);
        for (int i = 0; i < count; i++)
        {
            rules.add(new AclRule(
                Integer.parseInt(properties.getProperty(RULE + i + ".uid")),
                Integer.parseInt(properties.getProperty(RULE + i + ".gid")),
                properties.getProperty(RULE + i + ".label"),
                list(properties.getProperty(RULE + i + ".publish")),
                list(properties.getProperty(RULE + i + ".subscribe")),
                Boolean.parseBoolean(properties.getProperty(RULE + i + ".block"))));
        }
        return context.aclRules(rules);
    }

    private static <T> void apply(final Setting<T> setting, final BrokerContext context, final String text)
    {
        setting.set(context, setting.type().parse(text));
    }

    private static List<String> list(final String joined)
    {
        return joined.isEmpty() ? List.of() : Arrays.asList(joined.split(LIST_SEPARATOR, -1));
    }
}
