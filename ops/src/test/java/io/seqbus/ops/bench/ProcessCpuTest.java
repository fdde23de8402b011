package io.seqbus.ops.bench;

import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class ProcessCpuTest
{
    @Test
    void utimeAndStimeAreFieldsFourteenAndFifteenWhateverTheCommandName()
    {
        // A command name may hold spaces and parentheses: fields are counted from the last ')'.
        final String stat = "4242 (a b) c)) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 31 0 0 20 0 17 0 123 " +
            "456789 1234 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
        assertThat(ProcessCpu.parse(stat)).isEqualTo(281);
    }

    @Test
    void thisProcessCountsTheCpuItBurnsAndAGoneOneIsUnknown()
    {
        final long pid = ProcessHandle.current().pid();
        final long before = ProcessCpu.ticks(pid);
        assertThat(before).isNotNegative();
        long sink = 0;
        final long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
        while (System.nanoTime() < until)
        {
            sink += sink * 31 + 7; // burn 200 ms of CPU: at least a tick at any CLK_TCK
        }
        assertThat(ProcessCpu.ticks(pid)).as("%d", sink).isGreaterThan(before);
        assertThat(ProcessCpu.ticks(Integer.MAX_VALUE)).isEqualTo(-1);
        assertThat(ProcessCpu.percentOfCore(-1, 5, 1_000_000_000L)).isNaN();
        assertThat(ProcessCpu.percentOfCore(0, ProcessCpu.CLK_TCK / 2, 1_000_000_000L)).isEqualTo(50.0);
    }
}
