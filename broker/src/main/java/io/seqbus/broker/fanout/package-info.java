/**
 * Fan-out: each PUBLISH becomes one delivery per matching subscription, queued for its
 * {@link io.seqbus.broker.fanout.Subscriber}: the per-client endpoint that owns its queue, bounds, slow-consumer
 * state ({@link io.seqbus.broker.fanout.FlowControl}, one class per policy), pending GAPs and flushing, and reaches
 * the client through a {@link io.seqbus.broker.fanout.Transport}. {@link io.seqbus.broker.fanout.Backpressure}
 * decides when publishers wait; {@link io.seqbus.broker.fanout.SubscriptionRegistry} keeps subscriptions, the
 * topic index and their charges in step; {@link io.seqbus.broker.fanout.ClientProxy} writes every reply frame.
 * Depends on {@code route} and {@code quota}, never on {@code net}.
 */
package io.seqbus.broker.fanout;
