package io.seqbus.sys;

import java.io.IOException;

/**
 * A ring in shared memory broke one of its rules (a position out of range, a record that does not fit, an unknown
 * type): the peer wrote what it must not. The broker closes that peer with PROTOCOL_VIOLATION; nothing outside the
 * mapping was read or written.
 */
public final class ShmCorruptException extends IOException
{
    private static final long serialVersionUID = 1L;

    /** @param message which rule, with the numbers. */
    public ShmCorruptException(final String message)
    {
        super(message);
    }
}
