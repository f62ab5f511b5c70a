package io.stevedore.config;

/**
 * How a route compares the selected bytes {@code x} with its value {@code v}. The bit operators
 * keep the original's spelling: {@code |=} means no bit outside v is set, {@code &=} means every
 * bit of v is set. The ordering operators compare unsigned big-endian numbers.
 */
public enum Operator {
    EQ("=="),
    NE("!=="),
    OR_EQ("|="),
    NOT_OR_EQ("!|="),
    AND_EQ("&="),
    NOT_AND_EQ("!&="),
    LT("<"),
    LE("<="),
    GT(">"),
    GE(">=");

    private final String symbol;

    Operator(String symbol) {
        this.symbol = symbol;
    }

    public String symbol() {
        return symbol;
    }

    /** The operator written {@code text}, or null; {@code !=} is an alias of {@code !==}. */
    public static Operator fromSymbol(String text) {
        if ("!=".equals(text)) {
            return NE;
        }
        for (Operator op : values()) {
            if (op.symbol.equals(text)) {
                return op;
            }
        }
        return null;
    }
}
