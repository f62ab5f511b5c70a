package io.stevedore.transport;

/**
 * Objects of one event loop given back once done with, for the loop's next use, so the steady state
 * allocates none. It keeps at most its capacity: what a burst needed beyond that is left to the
 * collector. Only on its loop.
 */
final class FreeList<T> {

    private final Object[] free;
    private int size;

    FreeList(int capacity) {
        this.free = new Object[capacity];
    }

    /** An object given back earlier, or null when there is none. */
    @SuppressWarnings("unchecked")
    T take() {
        if (size == 0) {
            return null;
        }
        T taken = (T) free[--size];
        free[size] = null;
        return taken;
    }

    void give(T done) {
        if (size < free.length) {
            free[size++] = done;
        }
    }
}
