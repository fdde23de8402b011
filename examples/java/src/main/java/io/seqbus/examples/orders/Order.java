package io.seqbus.examples.orders;

import java.util.Objects;

/**
 * An order as the example services exchange it.
 *
 * @param id         unique order number.
 * @param region     where it was placed; one topic token, e.g. {@code eu} (so {@code orders.eu.created}).
 * @param sku        what was ordered.
 * @param quantity   how many.
 * @param priceCents unit price in cents (no floating point for money).
 */
public record Order(long id, String region, String sku, int quantity, long priceCents)
{
    public Order
    {
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(sku, "sku");
    }
}
