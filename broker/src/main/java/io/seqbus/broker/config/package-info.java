/**
 * The broker's settings: the one table of them ({@link io.seqbus.broker.config.Settings}), the
 * context they fill ({@link io.seqbus.broker.config.BrokerContext}), where they come from
 * ({@link io.seqbus.broker.config.BrokerConfig}: flags, environment, TOML file), the example
 * config, the fixed tuning constants ({@link io.seqbus.broker.config.Configuration}) and the LAN
 * key file. Depends on nothing of the agent (only on {@code acl} for the compiled access rules),
 * so every package may read settings and the root package depends on this one, not the reverse.
 */
package io.seqbus.broker.config;
