/**
 * Fan-out: each PUBLISH becomes one DELIVER per matching subscription, appended to that
 * subscriber's {@link io.seqbus.broker.fanout.Outbox}, which packs everything bound for one
 * subscriber into as few datagrams as the datagram limit allows.
 */
package io.seqbus.broker.fanout;
