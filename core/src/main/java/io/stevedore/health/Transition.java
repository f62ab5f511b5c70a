package io.stevedore.health;

/** A peer state change the checker publishes to its upstream, with the reason to log. */
record Transition(boolean up, String reason) {
}
