package io.stevedore.logging;

import ch.qos.logback.core.rolling.DefaultTimeBasedFileNamingAndTriggeringPolicy;
import java.time.Instant;
import java.time.ZoneId;

/**
 * Rolls an hourly-named log every {@code hours} hours, on local-time boundaries that are
 * multiples of that many hours (every 6 hours: at 00, 06, 12 and 18 o'clock). Logback derives
 * the period from the finest unit of the file name's date, so an hourly name alone would roll
 * every hour; this keeps hourly names (so pruning counts in hours) while rolling less often.
 */
final class EveryNHours<E> extends DefaultTimeBasedFileNamingAndTriggeringPolicy<E> {

    private static final long HOUR_MILLIS = 3_600_000L;

    private final long periodMillis;

    EveryNHours(int hours) {
        this.periodMillis = hours * HOUR_MILLIS;
    }

    @Override
    protected long computeNextCheck(long nowMillis) {
        ZoneId zone = zoneId != null ? zoneId : ZoneId.systemDefault();
        long offsetMillis = zone.getRules().getOffset(Instant.ofEpochMilli(nowMillis)).getTotalSeconds() * 1000L;
        long local = nowMillis + offsetMillis;
        return Math.floorDiv(local, periodMillis) * periodMillis + periodMillis - offsetMillis;
    }
}
