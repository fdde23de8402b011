package io.seqbus.ops;

import io.seqbus.client.BusException;
import io.seqbus.client.ErrorCode;

/**
 * The exit statuses of {@code seqbus pub}, {@code sub}, {@code request} and {@code reply}, one per reason a script
 * may want to tell apart (docs/cli.md lists them, and so does each command's {@code --help}).
 */
final class ExitStatus
{
    /** Done: every message published and routed, or {@code --count} messages printed. */
    static final int OK = 0;
    /** The broker is not there, or the connection ended without a reason (crashed, killed, reset). */
    static final int BROKER_GONE = 1;
    /** Bad usage: an option, topic, pattern or file; a message larger than the broker's max_payload. */
    static final int USAGE = 2;
    /** The access rules refuse this publish or subscription (ACCESS_DENIED). */
    static final int ACCESS_DENIED = 3;
    /** Evicted as a slow consumer (SLOW_CONSUMER), with {@code --no-reconnect}. */
    static final int EVICTED = 4;
    /** The broker is shutting down (SHUTTING_DOWN): with {@code --no-reconnect}, or during a publish. */
    static final int SHUTTING_DOWN = 5;
    /** The broker held the publisher back longer than {@code --timeout}; {@code request}: no reply in time. */
    static final int TIMED_OUT = 6;
    /** Any other refusal by the broker (a limit, a bad option, a protocol error); the message says which. */
    static final int REFUSED = 7;
    /** {@code sub --save-dir}: a payload could not be written (the disk is full, the file name too long). */
    static final int SAVE_FAILED = 8;
    /** {@code request}: nothing subscribes to the topic (NO_RESPONDERS). */
    static final int NO_RESPONDERS = 9;
    /** {@code request}: every subscriber it went to went away before replying (RESPONDERS_GONE). */
    static final int RESPONDERS_GONE = 10;

    private ExitStatus()
    {
    }

    /**
     * @param errorCode an {@link ErrorCode} from the broker, 0 for none.
     * @return the exit status that names it.
     */
    static int of(final int errorCode)
    {
        switch (errorCode)
        {
            case 0:
                return BROKER_GONE;
            case ErrorCode.ACCESS_DENIED:
            case ErrorCode.DESCRIPTORS_DENIED:
                return ACCESS_DENIED;
            case ErrorCode.SLOW_CONSUMER:
                return EVICTED;
            case ErrorCode.SHUTTING_DOWN:
                return SHUTTING_DOWN;
            case ErrorCode.INVALID_TOPIC:
            case ErrorCode.INVALID_PATTERN:
            case ErrorCode.PAYLOAD_TOO_LARGE:
                return USAGE;
            default:
                return REFUSED;
        }
    }

    /**
     * @param failure why the client failed.
     * @return the exit status that names it.
     */
    static int of(final BusException failure)
    {
        return of(failure.code());
    }
}
