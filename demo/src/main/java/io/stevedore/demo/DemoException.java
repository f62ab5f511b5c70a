package io.stevedore.demo;

/** The demo cannot go on: a socket it needs cannot be opened, or the system did not do what it shows. */
public final class DemoException extends Exception {

    private static final long serialVersionUID = 1L;

    DemoException(String message) {
        super(message);
    }
}
