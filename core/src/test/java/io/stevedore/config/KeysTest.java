package io.stevedore.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

class KeysTest {

    private static final List<Class<?>> SECTIONS = List.of(StevedoreConfig.class, ServerConfig.class,
            SessionConfig.class, UploadConfig.class, RouteConfig.class, UpstreamConfig.class, PeerConfig.class,
            HealthCheckConfig.class, LogConfig.class, AdminConfig.class, QuicLbKeys.class);

    /** Keys match case-insensitively, so two that differ only by case could never both be read. */
    @Test
    void eachSectionKnowsEachKeyOnceWhateverItsCase() throws Exception {
        for (Class<?> section : SECTIONS) {
            for (Keys keys : tables(section)) {
                assertThat(keys.names()).as(section.getSimpleName()).isNotEmpty()
                        .extracting(name -> name.toLowerCase(Locale.ROOT)).doesNotHaveDuplicates();
            }
        }
    }

    @Test
    void everyTypedKeyIsKnownToItsSectionAndAnIntegersDefaultIsInItsRange() throws Exception {
        for (Class<?> section : SECTIONS) {
            for (Field field : section.getDeclaredFields()) {
                if (Modifier.isStatic(field.getModifiers()) && field.getType() == IntKey.class) {
                    IntKey key = (IntKey) field.get(null);
                    assertThat(((Keys) section.getDeclaredField("KEYS").get(null)).names()).contains(key.name());
                    if (key != PeerConfig.PORT) {
                        assertThat(key.defaultValue()).as(key.name()).isBetween(key.min(), key.max());
                    }
                }
                if (Modifier.isStatic(field.getModifiers()) && field.getType() == BoolKey.class) {
                    BoolKey key = (BoolKey) field.get(null);
                    assertThat(tables(section)).as(key.name()).anyMatch(keys -> keys.names().contains(key.name()));
                }
            }
        }
    }

    private static List<Keys> tables(Class<?> section) throws IllegalAccessException {
        List<Keys> tables = new ArrayList<>();
        for (Field field : section.getDeclaredFields()) {
            if (Modifier.isStatic(field.getModifiers()) && field.getType() == Keys.class) {
                tables.add((Keys) field.get(null));
            }
        }
        return tables;
    }
}
