package io.seqbus.broker.config;

/**
 * The commented example config file, written from {@link Settings}: every key with its doc,
 * how to set it otherwise, whether a reload applies it, and its default, commented out.
 * {@code systemd/seqbus.conf.example} is this output; a test keeps the two equal.
 */
public final class ExampleConfig
{
    private static final String ACL = """

        # Access rules. The broker learns each client's uid and primary gid from the kernel
        # (SO_PEERCRED) at connect; no client can claim another identity. A rule names exactly one
        # uid or gid, as a number or a name (resolved with getent when the file is read; a reload
        # resolves again), and lists the patterns it may publish to and subscribe within. A client
        # named by rules may do what the union of its rules allows and nothing more; one no rule names
        # gets acl.default. A SUBSCRIBE is allowed only when every topic its pattern can match is
        # allowed ('orders.*' is allowed by 'orders.>', 'orders.>' is not allowed by 'orders.*').
        # A refusal is an ERROR ACCESS_DENIED (not fatal), counted in seqbus_access_denied_total{op}.
        # SIGHUP reloads the rules without dropping connections; a subscription the new rules no
        # longer allow is removed, with an ACCESS_DENIED ERROR whose ref is its subscription id.
        # Descriptors other than a sealed memfd payload (a pipe, a socket, an eventfd: a capability
        # handed to every subscriber) go only to topics a rule's pass_fds patterns name; acl.default
        # "allow" does not grant it. Without it such a publish gets DESCRIPTORS_DENIED (not fatal).
        # Queue groups (SUBSCRIBE with a group): a rule's group list names the groups it may join ("*"
        # for any); a rule without one lets it join any group where it may subscribe. A refusal is an
        # ERROR ACCESS_DENIED (not fatal).
        # Requests (issue 19): request lists the topics a peer may send requests to (absent: as
        # publish), reply the topics whose requests it receives and may answer (absent: as
        # subscribe). A request the rules deny gets RESPONSE DENIED; a subscriber without reply on a
        # topic is not sent its requests.
        #
        # A locked-down bus (with acl.default = "deny" above): nothing for anyone unnamed,
        # orders-service publishes orders, the billing group reads them, uid 990 reads everything.
        #
        #   [[acl.rule]]
        #   uid = "orders-service"
        #   publish = ["orders.>"]
        #   subscribe = ["prices.*"]
        #   pass_fds = ["orders.exports.>"]
        #   request = ["prices.quote"]
        #
        #   [[acl.rule]]
        #   gid = "billing"
        #   subscribe = ["orders.*.created", "orders.*.paid"]
        #   group = ["billing-workers"]
        #   reply = []
        #
        #   [[acl.rule]]
        #   uid = 990
        #   subscribe = [">"]
        """;

    private ExampleConfig()
    {
    }

    /**
     * @return the example file's text.
     */
    public static String render()
    {
        final StringBuilder sb = new StringBuilder();
        sb.append("# seqbus broker configuration (TOML): /etc/seqbus/seqbus.conf\n")
            .append("#\n")
            .append("# Read with `seqbus broker --config FILE`; check with `seqbus broker --check-config FILE`.\n")
            .append("# Every key is optional. A flag beats its environment variable, which beats this file,\n")
            .append("# which beats the default. SIGHUP rereads this file: keys marked \"reload: live\" change at\n")
            .append("# once, the others are logged and wait for a restart. Unknown keys, wrong types and values\n")
            .append("# out of range stop the broker at start (exit code 2).\n")
            .append("#\n")
            .append("# Generated from io.seqbus.broker.config.Settings; do not edit by hand:\n")
            .append("#   java -cp 'ops/target/lib/*' io.seqbus.broker.config.ExampleConfig > systemd/seqbus.conf.example\n");
        for (final Setting<?> s : Settings.ALL)
        {
            sb.append('\n')
                .append("# ").append(s.doc()).append('\n')
                .append("# Allowed: ").append(s.type().allowed()).append("; reload: ")
                .append(s.reload() == Setting.Reload.LIVE ? "live" : "restart").append('.').append('\n')
                .append("# Flag ").append(s.flag()).append(", environment ").append(s.env()).append('.').append('\n');
            final String value = s.defaultToml();
            if (value != null)
            {
                sb.append("#").append(s.key()).append(" = ").append(value).append('\n');
            }
            else
            {
                sb.append("# Default: ").append(s.defaultDoc()).append('.').append('\n')
                    .append("#").append(s.key()).append(" = \"\"\n");
            }
        }
        sb.append(ACL);
        return sb.toString();
    }

    /**
     * Prints the example.
     *
     * @param args none.
     */
    public static void main(final String[] args)
    {
        System.out.print(render());
    }
}
