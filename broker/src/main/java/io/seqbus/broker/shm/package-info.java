/**
 * Shared-memory delivery (issue 15, docs/design/shared-memory.md): one client's two rings in a broker-made memfd and
 * its two eventfds ({@link io.seqbus.broker.shm.ShmEndpoint}), and the {@link io.seqbus.broker.fanout.Transport}
 * that writes its deliveries as ring records ({@link io.seqbus.broker.shm.ShmTransport}). What the client writes is
 * untrusted: every position and length is checked by {@code sys.RingReader}, and each record is copied out before it
 * is looked at. Uses {@code fanout} (the seam) and the {@code sys} module; {@code net} and the root use it.
 */
package io.seqbus.broker.shm;
