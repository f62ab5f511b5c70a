package io.stevedore.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class OperatorTest {

    @Test
    void everyOperatorIsFoundByItsSymbolAndBangEqualsIsAnAlias() {
        for (Operator op : Operator.values()) {
            assertThat(Operator.fromSymbol(op.symbol())).isEqualTo(op);
        }
        assertThat(Operator.fromSymbol("!=")).isEqualTo(Operator.NE);
        assertThat(Operator.fromSymbol("=")).isNull();
    }
}
