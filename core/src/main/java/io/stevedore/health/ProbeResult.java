package io.stevedore.health;

/** How one probe round ended, with the detail an operator reads in the log. */
record ProbeResult(boolean success, String detail) {

    static ProbeResult success(String detail) {
        return new ProbeResult(true, detail);
    }

    static ProbeResult failure(String detail) {
        return new ProbeResult(false, detail);
    }
}
