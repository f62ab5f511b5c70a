package io.stevedore.loadtool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class WireTest {

    @Test
    void anIdIsItsAsciiBytesLeftAlignedAndReadsBack() {
        assertThat(Wire.tag("b1")).isEqualTo(0x6231_0000);
        assertThat(Wire.tag("abcd")).isEqualTo(0x6162_6364);
        for (String id : new String[] {"b1", "b3", "east", "x"}) {
            assertThat(Wire.name(Wire.tag(id))).isEqualTo(id);
        }
    }

    @Test
    void aTagNoEchoMakesIsShownInHex() {
        assertThat(Wire.name(0)).isEqualTo("0x00000000");
        assertThat(Wire.name(0x0102_0304)).isEqualTo("0x01020304");
        assertThat(Wire.name(0x6200_0031)).isEqualTo("0x62000031");
    }

    @Test
    void idsAreOneToFourPrintableCharacters() {
        for (String bad : new String[] {"", "abcde", "a b", "é"}) {
            assertThatThrownBy(() -> Wire.tag(bad)).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
