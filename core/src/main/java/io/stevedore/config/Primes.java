package io.stevedore.config;

/** Primality for Maglev table sizes, which are small enough for trial division. */
final class Primes {

    private Primes() {
    }

    static boolean isPrime(int n) {
        if (n < 2) {
            return false;
        }
        if (n % 2 == 0) {
            return n == 2;
        }
        for (int d = 3; (long) d * d <= n; d += 2) {
            if (n % d == 0) {
                return false;
            }
        }
        return true;
    }

    /** The largest prime below {@code n}, or 0 when there is none. */
    static int below(int n) {
        for (int c = n - 1; c >= 2; c--) {
            if (isPrime(c)) {
                return c;
            }
        }
        return 0;
    }

    /** The smallest prime above {@code n}. */
    static int above(int n) {
        int c = Math.max(n + 1, 2);
        while (!isPrime(c)) {
            c++;
        }
        return c;
    }
}
