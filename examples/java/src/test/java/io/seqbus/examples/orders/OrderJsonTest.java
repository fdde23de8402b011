package io.seqbus.examples.orders;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OrderJsonTest
{
    @Test
    void escapesStringsAndReadsTheIdBack()
    {
        final String json = OrderJson.write(new Order(-7, "eu", "a\"b\\c\n", 3, 10));
        assertThat(json).isEqualTo(
            "{\"id\":-7,\"region\":\"eu\",\"sku\":\"a\\\"b\\\\c\\u000a\",\"quantity\":3,\"priceCents\":10}");
        assertThat(OrderJson.id(json)).isEqualTo(-7);
    }

    @Test
    void refusesAPayloadWithoutAnId()
    {
        assertThatThrownBy(() -> OrderJson.id("{\"sku\":\"x\"}")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> OrderJson.id("{\"id\":\"x\"}")).isInstanceOf(IllegalArgumentException.class);
    }
}
