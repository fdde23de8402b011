package io.seqbus.ops.bench;

import java.util.Arrays;
import java.util.Locale;

/**
 * The figures of one bench run, as text for people and JSON for tools.
 *
 * @param publishers            publisher connections.
 * @param subscribers           subscriber connections.
 * @param payloadBytes          bytes per message.
 * @param mode                  how payloads travelled: {@link #INLINE}, {@link #MEMFD} or {@link #COPY}.
 * @param transport             how every client reached the broker: {@link #SOCKET} or {@link #SHM}.
 * @param seconds               measured time.
 * @param rate                  target total msgs/s, 0 for as fast as the bus accepts.
 * @param published             messages published in the measured time.
 * @param delivered             messages delivered in the measured time, all subscribers.
 * @param perSubscriberMin      fewest messages one subscriber got in the measured time.
 * @param perSubscriberMax      most messages one subscriber got in the measured time.
 * @param lost                  messages published but not delivered to some subscriber, after draining.
 * @param gaps                  GAP notices received (messages the broker said it dropped).
 * @param latencyUs             p50, p90, p99, p99.9, max one-hop latency in µs, or null without --rate.
 * @param subscriberWait        with --rate, how the subscribers' threads waited: {@code spin}, or
 *                              {@code idle spin N µs} (adaptive: spun only while it paid); null without --rate.
 * @param brokerAllocBytesPerMsg bytes the broker's agent allocated per delivered message, or NaN.
 * @param datagramsPerDelivery  datagrams the broker wrote per delivered message, or NaN.
 * @param brokerBytesReadPerMsg    bytes the broker read from client sockets per message published, or NaN.
 * @param brokerBytesWrittenPerMsg bytes the broker wrote to client sockets per message published (all its
 *                                 subscribers' copies), or NaN.
 * @param subscriberProcesses   each subscriber ran in a process of its own (--sub-procs).
 * @param cpu                   CPU per process over the measured window.
 * @param group                 with --group, the group's figures counted as one subscriber; else null.
 */
public record BenchResult(
    int publishers, int subscribers, int payloadBytes, String mode, String transport, double seconds, long rate,
    long published, long delivered, long perSubscriberMin, long perSubscriberMax, long lost, long gaps,
    double[] latencyUs, String subscriberWait, double brokerAllocBytesPerMsg, double datagramsPerDelivery,
    double brokerBytesReadPerMsg, double brokerBytesWrittenPerMsg, boolean subscriberProcesses, Cpu cpu, Group group)
{
    /** Every client on the socket. */
    public static final String SOCKET = "socket";
    /** Every client on shared-memory rings. */
    public static final String SHM = "shm";
    /** Payloads inside the frames (up to the broker's max_payload). */
    public static final String INLINE = "inline";
    /** Payloads as sealed memfds, the descriptor passed by the broker. */
    public static final String MEMFD = "memfd";
    /** The copy alternative: the payload inline in 64 KiB pieces, copied by the broker to every subscriber. */
    public static final String COPY = "copy";
    /** Appended to the mode with --touch: every payload byte written by the publisher, read by every subscriber. */
    public static final String TOUCHED = "+touch";
    /** Suffix of the mode when the subscribers are one queue group's members (each message to one of them). */
    public static final String GROUP = "+group";

    /**
     * CPU each process used over the measured window, user + system from /proc/PID/stat, in percent of one core
     * (100 = a core busy all the time); NaN where it could not be read.
     *
     * @param bench         this process: the publishers, and the subscribers unless they are processes of their own.
     * @param broker        the broker's process, NaN when it is this one or unknown.
     * @param brokerPid     the broker's pid, -1 when unknown.
     * @param brokerPidFrom where the pid came from: {@link #PID_FROM_STAT}, {@link #PID_EMBEDDED} or
     *                      {@link #PID_UNKNOWN}.
     * @param subscribers   each subscriber process, in order; null when they ran in this process.
     */
    public record Cpu(double bench, double broker, long brokerPid, String brokerPidFrom, double[] subscribers)
    {
        /** The broker said its pid in its STAT reply. */
        public static final String PID_FROM_STAT = "stat";
        /** --embedded-broker: the broker runs in the bench's process, its CPU is in the bench's figure. */
        public static final String PID_EMBEDDED = "embedded";
        /** The broker did not answer STAT: its CPU is not measured. */
        public static final String PID_UNKNOWN = "unknown";

        /** @return the busiest subscriber process's share, NaN without subscriber processes. */
        public double subscribersMax()
        {
            return subscribers == null ? Double.NaN : Arrays.stream(subscribers).max().orElse(Double.NaN);
        }

        /** @return the subscriber processes' mean share, NaN without them. */
        public double subscribersMean()
        {
            return subscribers == null ? Double.NaN : Arrays.stream(subscribers).average().orElse(Double.NaN);
        }
    }

    /**
     * A queue group's members counted as one subscriber (each message goes to exactly one of them), over the whole
     * run, warm-up and drain included.
     *
     * @param members    members, each a subscriber connection (or process with --sub-procs).
     * @param published  messages published in all.
     * @param received   the members' receipts added up: equal to published when nothing is lost or duplicated.
     * @param duplicates receipts over published: some message reached two members (0 when none did).
     */
    public record Group(int members, long published, long received, long duplicates)
    {
    }

    /** @return payload bytes delivered per second, all subscribers, in GiB/s. */
    public double deliveredGibPerSec()
    {
        return deliveredPerSec() * payloadBytes / (1L << 30);
    }

    /** @return published messages per second. */
    public double publishedPerSec()
    {
        return published / seconds;
    }

    /** @return delivered messages per second, all subscribers. */
    public double deliveredPerSec()
    {
        return delivered / seconds;
    }

    /**
     * @return a readable report.
     */
    public String toText()
    {
        final StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "seqbus bench: %d publisher(s) -> %d subscriber(s), %d-byte payloads (%s), " +
            "over %s, %.1f s%s%s%n", publishers, subscribers, payloadBytes, mode, transport, seconds,
            rate > 0 ? ", paced at " + rate + " msgs/s" : "", subscriberProcesses ? ", one process per subscriber" : ""));
        sb.append(String.format(Locale.ROOT, "published   %,15.0f msgs/s%n", publishedPerSec()));
        sb.append(String.format(Locale.ROOT, "delivered   %,15.0f msgs/s  (per subscriber min %,.0f, max %,.0f), " +
            "%.3f GiB/s%n", deliveredPerSec(), perSubscriberMin / seconds, perSubscriberMax / seconds,
            deliveredGibPerSec()));
        sb.append(String.format(Locale.ROOT, "lost        %,15d%s%n", lost, gaps > 0 ? "  (" + gaps + " GAP notices)" : ""));
        if (group != null)
        {
            sb.append(String.format(Locale.ROOT, "group       %d members received %,d of %,d published, %,d duplicates%n",
                group.members(), group.received(), group.published(), group.duplicates()));
        }
        if (latencyUs != null)
        {
            sb.append(String.format(Locale.ROOT,
                "latency µs  p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f  (subscribers: %s)%n",
                latencyUs[0], latencyUs[1], latencyUs[2], latencyUs[3], latencyUs[4], subscriberWait));
        }
        sb.append(String.format(Locale.ROOT, "broker      %s bytes allocated per message, %s datagrams per delivery%n",
            fmt(brokerAllocBytesPerMsg, "%.3f"), fmt(datagramsPerDelivery, "%.4f")));
        sb.append(String.format(Locale.ROOT, "broker      socket bytes per message: %s read, %s written%n",
            fmt(brokerBytesReadPerMsg, "%,.1f"), fmt(brokerBytesWrittenPerMsg, "%,.1f")));
        sb.append(String.format(Locale.ROOT, "cpu %% core  bench %s, broker %s%s%s%s%n", fmt(cpu.bench(), "%.1f"),
            Cpu.PID_EMBEDDED.equals(cpu.brokerPidFrom()) ? "in the bench's" : fmt(cpu.broker(), "%.1f"),
            Cpu.PID_FROM_STAT.equals(cpu.brokerPidFrom()) ? " (pid " + cpu.brokerPid() + ", from its STAT)" : "",
            cpu.subscribers() == null ? ", subscribers in the bench's" : String.format(Locale.ROOT,
                ", subscriber processes max %s mean %s", fmt(cpu.subscribersMax(), "%.1f"),
                fmt(cpu.subscribersMean(), "%.1f")),
            ProcessCpu.CLK_TCK_ASSUMED ? " (getconf CLK_TCK failed: 100 ticks/s assumed)" : ""));
        return sb.toString();
    }

    /**
     * @return one JSON object.
     */
    public String toJson()
    {
        final StringBuilder sb = new StringBuilder("{");
        field(sb, "publishers", publishers).append(',');
        field(sb, "subscribers", subscribers).append(',');
        field(sb, "size", payloadBytes).append(',');
        sb.append("\"mode\":\"").append(mode).append("\",");
        sb.append("\"transport\":\"").append(transport).append("\",");
        sb.append("\"seconds\":").append(num(seconds)).append(',');
        field(sb, "rate", rate).append(',');
        field(sb, "published", published).append(',');
        field(sb, "delivered", delivered).append(',');
        sb.append("\"published_per_sec\":").append(num(publishedPerSec())).append(',');
        sb.append("\"delivered_per_sec\":").append(num(deliveredPerSec())).append(',');
        sb.append("\"delivered_gib_per_sec\":").append(num(deliveredGibPerSec())).append(',');
        sb.append("\"per_subscriber_min_per_sec\":").append(num(perSubscriberMin / seconds)).append(',');
        sb.append("\"per_subscriber_max_per_sec\":").append(num(perSubscriberMax / seconds)).append(',');
        field(sb, "lost", lost).append(',');
        field(sb, "gaps", gaps).append(',');
        if (group != null)
        {
            sb.append("\"group\":{");
            field(sb, "members", group.members()).append(',');
            field(sb, "published", group.published()).append(',');
            field(sb, "received", group.received()).append(',');
            field(sb, "duplicates", group.duplicates()).append("},");
        }
        if (latencyUs != null)
        {
            sb.append("\"latency_us\":{\"p50\":").append(num(latencyUs[0]))
                .append(",\"p90\":").append(num(latencyUs[1]))
                .append(",\"p99\":").append(num(latencyUs[2]))
                .append(",\"p999\":").append(num(latencyUs[3]))
                .append(",\"max\":").append(num(latencyUs[4])).append("},");
            sb.append("\"subscriber_wait\":\"").append(subscriberWait).append("\",");
        }
        sb.append("\"broker_alloc_bytes_per_msg\":").append(num(brokerAllocBytesPerMsg)).append(',');
        sb.append("\"datagrams_per_delivery\":").append(num(datagramsPerDelivery)).append(',');
        sb.append("\"broker_bytes_read_per_msg\":").append(num(brokerBytesReadPerMsg)).append(',');
        sb.append("\"broker_bytes_written_per_msg\":").append(num(brokerBytesWrittenPerMsg)).append(',');
        sb.append("\"subscriber_processes\":").append(subscriberProcesses).append(',');
        sb.append("\"cpu_pct\":{\"bench\":").append(num(cpu.bench()))
            .append(",\"broker\":").append(num(cpu.broker()))
            .append(",\"broker_pid\":").append(cpu.brokerPid())
            .append(",\"broker_pid_from\":\"").append(cpu.brokerPidFrom()).append('"');
        if (cpu.subscribers() != null)
        {
            sb.append(",\"subscribers\":{\"max\":").append(num(cpu.subscribersMax()))
                .append(",\"mean\":").append(num(cpu.subscribersMean())).append(",\"each\":[");
            for (int i = 0; i < cpu.subscribers().length; i++)
            {
                sb.append(i == 0 ? "" : ",").append(num(cpu.subscribers()[i]));
            }
            sb.append("]}");
        }
        sb.append(",\"clk_tck\":").append(ProcessCpu.CLK_TCK)
            .append(",\"clk_tck_assumed\":").append(ProcessCpu.CLK_TCK_ASSUMED).append('}');
        return sb.append('}').toString();
    }

    private static StringBuilder field(final StringBuilder sb, final String name, final long value)
    {
        return sb.append('"').append(name).append("\":").append(value);
    }

    private static String num(final double v)
    {
        return Double.isNaN(v) || Double.isInfinite(v) ? "null" : String.format(Locale.ROOT, "%.4f", v);
    }

    private static String fmt(final double v, final String format)
    {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, format, v);
    }
}
