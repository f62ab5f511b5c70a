/*
 * udpflood: the flood shape of stevedore-load compare, as a native client (--client native).
 *
 * Why it exists: in a flood the round trip is the queues a datagram passes, and the load tool's
 * own receive buffers are one of them. The JVM client drains its replies at a fraction of the rate
 * a proxy can relay them on two shared cores, so the proxy that relays most made the client's queue
 * longest (docs/performance.md, "Where a flood's datagrams wait"). This client does the same thing
 * at C's cost per datagram: the same datagram layout as Wire.java, the same sockets, one thread.
 *
 * Each turn sends --batch datagrams on every socket (one sendmmsg each), then reads every socket
 * that has replies (recvmmsg until it is empty). Lines on stdout: "window-start" when the measured
 * window opens, "window-end" when it closes (the caller reads the proxies' CPU then), and at the
 * end one line of JSON. Bounded: it stops sending at the window's end and stops reading once no
 * reply came for 200 ms, or 2 s after the window, whichever comes first.
 *
 * Build: gcc -O2 -o udpflood udpflood.c
 * Usage: udpflood TARGETS SOURCE_IP_FIRST SOURCE_IP_COUNT SOCKETS SIZE BATCH WARMUP_MS DURATION_MS
 * TARGETS: IPv4:PORT[,IPv4:PORT...]; socket s sends to target s mod their count.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SOCKETS 1024
#define MAX_TARGETS 64
#define MAX_BATCH 256
#define MAX_SIZE 4096
#define READ_BATCH 64
#define SOCKET_BUFFER_BYTES (4 << 20)
/* Round trips up to 10 s are kept to the microsecond; longer ones count in the last bucket. */
#define HISTOGRAM_MICROS 10000000
#define QUIET_NANOS 200000000LL
#define DRAIN_LIMIT_NANOS 2000000000LL

static uint32_t histogram[HISTOGRAM_MICROS + 1];

static int64_t now_nanos(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void put_be32(unsigned char *at, uint32_t v) {
    at[0] = v >> 24; at[1] = v >> 16; at[2] = v >> 8; at[3] = v;
}

static void put_be64(unsigned char *at, uint64_t v) {
    for (int i = 7; i >= 0; i--) { at[i] = v & 0xff; v >>= 8; }
}

static uint32_t get_be32(const unsigned char *at) {
    return (uint32_t) at[0] << 24 | (uint32_t) at[1] << 16 | (uint32_t) at[2] << 8 | at[3];
}

static uint64_t get_be64(const unsigned char *at) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) { v = (v << 8) | at[i]; }
    return v;
}

static double percentile(uint64_t count, double fraction) {
    if (count == 0) {
        return 0;
    }
    uint64_t rank = (uint64_t) (fraction * count);
    if (rank >= count) {
        rank = count - 1;
    }
    uint64_t seen = 0;
    for (int us = 0; us <= HISTOGRAM_MICROS; us++) {
        seen += histogram[us];
        if (seen > rank) {
            return us;
        }
    }
    return HISTOGRAM_MICROS;
}

static long parse(const char *text, const char *name, long min, long max) {
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno != 0 || *end != '\0' || value < min || value > max) {
        fprintf(stderr, "udpflood: %s %s: expected %ld..%ld\n", name, text, min, max);
        exit(2);
    }
    return value;
}

int main(int argc, char **argv) {
    if (argc != 9) {
        fprintf(stderr, "usage: udpflood TARGETS SOURCE_IP_FIRST SOURCE_IP_COUNT SOCKETS SIZE BATCH WARMUP_MS "
                        "DURATION_MS\n");
        return 2;
    }
    static struct sockaddr_in targets[MAX_TARGETS];
    int target_count = 0;
    char *list = argv[1];
    for (char *item = strtok(list, ","); item != NULL; item = strtok(NULL, ",")) {
        char *colon = strrchr(item, ':');
        if (target_count == MAX_TARGETS || colon == NULL) {
            fprintf(stderr, "udpflood: targets %s: expected up to %d IPv4:PORT, comma-separated\n", argv[1],
                    MAX_TARGETS);
            return 2;
        }
        *colon = '\0';
        targets[target_count] = (struct sockaddr_in) {.sin_family = AF_INET,
                .sin_port = htons((uint16_t) parse(colon + 1, "target port", 1, 65535))};
        if (inet_pton(AF_INET, item, &targets[target_count].sin_addr) != 1) {
            fprintf(stderr, "udpflood: target %s is no IPv4 address\n", item);
            return 2;
        }
        target_count++;
    }
    struct in_addr first_source;
    if (inet_pton(AF_INET, argv[2], &first_source) != 1) {
        fprintf(stderr, "udpflood: source %s is no IPv4 address\n", argv[2]);
        return 2;
    }
    int sources = (int) parse(argv[3], "SOURCE_IP_COUNT", 1, 65536);
    int sockets = (int) parse(argv[4], "SOCKETS", 1, MAX_SOCKETS);
    int size = (int) parse(argv[5], "SIZE", 16, MAX_SIZE);
    int batch = (int) parse(argv[6], "BATCH", 1, MAX_BATCH);
    int64_t warmup = parse(argv[7], "WARMUP_MS", 0, 600000) * 1000000LL;
    int64_t duration = parse(argv[8], "DURATION_MS", 1, 600000) * 1000000LL;

    static int fds[MAX_SOCKETS];
    static struct pollfd polls[MAX_SOCKETS];
    for (int s = 0; s < sockets; s++) {
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        int buffer = SOCKET_BUFFER_BYTES;
        struct sockaddr_in local = {.sin_family = AF_INET,
                                    .sin_addr.s_addr = htonl(ntohl(first_source.s_addr) + s % sources)};
        if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer) != 0
                || setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer) != 0
                || bind(fd, (struct sockaddr *) &local, sizeof local) != 0
                || connect(fd, (struct sockaddr *) &targets[s % target_count], sizeof targets[0]) != 0) {
            fprintf(stderr, "udpflood: socket %d from %s: %s\n", s, inet_ntoa(local.sin_addr), strerror(errno));
            return 1;
        }
        fds[s] = fd;
        polls[s] = (struct pollfd) {.fd = fd, .events = POLLIN};
    }

    /* One conversation per socket: its id in bytes 0..4, as the JVM client numbers them. */
    static unsigned char out[MAX_BATCH][MAX_SIZE];
    static struct iovec out_iov[MAX_BATCH];
    static struct mmsghdr out_msgs[MAX_BATCH];
    for (int i = 0; i < batch; i++) {
        out_iov[i] = (struct iovec) {.iov_base = out[i], .iov_len = (size_t) size};
        out_msgs[i].msg_hdr = (struct msghdr) {.msg_iov = &out_iov[i], .msg_iovlen = 1};
    }
    static unsigned char in[READ_BATCH][MAX_SIZE];
    static struct iovec in_iov[READ_BATCH];
    static struct mmsghdr in_msgs[READ_BATCH];
    for (int i = 0; i < READ_BATCH; i++) {
        in_iov[i] = (struct iovec) {.iov_base = in[i], .iov_len = MAX_SIZE};
        in_msgs[i].msg_hdr = (struct msghdr) {.msg_iov = &in_iov[i], .msg_iovlen = 1};
    }

    /* The backend tag (bytes 4..8) of each conversation's first reply: a second tag is a routing error. */
    static uint32_t first_tag[MAX_SOCKETS];
    static unsigned char several[MAX_SOCKETS];
    uint64_t sent = 0, received = 0, stray = 0, send_errors = 0;
    int64_t start = now_nanos();
    int64_t window_start = start + warmup, window_end = window_start + duration;
    int started = 0, ended = 0;
    int64_t last_reply = start;
    for (;;) {
        int64_t now = now_nanos();
        if (!started && now >= window_start) {
            started = 1;
            printf("window-start\n");
            fflush(stdout);
        }
        if (!ended && now >= window_end) {
            ended = 1;
            printf("window-end\n");
            fflush(stdout);
        }
        if (ended && (now - last_reply > QUIET_NANOS || now - window_end > DRAIN_LIMIT_NANOS)) {
            break;
        }
        if (!ended) {
            for (int s = 0; s < sockets; s++) {
                int64_t stamp = now_nanos();
                for (int i = 0; i < batch; i++) {
                    memset(out[i], 0, (size_t) size);
                    put_be32(out[i], (uint32_t) (s + 1));
                    put_be64(out[i] + 8, (uint64_t) stamp);
                }
                int n = sendmmsg(fds[s], out_msgs, (unsigned) batch, 0);
                if (n < 0) {
                    /* A full send buffer (EAGAIN), or the proxy's port refused (ECONNREFUSED). */
                    send_errors++;
                } else if (stamp >= window_start) {
                    sent += (uint64_t) n;
                }
            }
        }
        int ready = poll(polls, (nfds_t) sockets, ended ? 10 : 0);
        if (ready <= 0) {
            continue;
        }
        for (int s = 0; s < sockets; s++) {
            if (!(polls[s].revents & POLLIN)) {
                continue;
            }
            for (;;) {
                int n = recvmmsg(fds[s], in_msgs, READ_BATCH, MSG_DONTWAIT, NULL);
                if (n <= 0) {
                    break;
                }
                int64_t arrived = now_nanos();
                last_reply = arrived;
                for (int i = 0; i < n; i++) {
                    if (in_msgs[i].msg_len < 16) {
                        stray++;
                        continue;
                    }
                    uint32_t tag = get_be32(in[i] + 4);
                    if (first_tag[s] == 0) {
                        first_tag[s] = tag;
                    } else if (tag != first_tag[s]) {
                        several[s] = 1;
                    }
                    int64_t stamp = (int64_t) get_be64(in[i] + 8);
                    if (stamp < window_start || stamp >= window_end) {
                        continue;
                    }
                    int64_t micros = (arrived - stamp) / 1000;
                    histogram[micros < 0 ? 0 : micros > HISTOGRAM_MICROS ? HISTOGRAM_MICROS : micros]++;
                    received++;
                }
                if (n < READ_BATCH) {
                    break;
                }
            }
        }
    }
    int answered = 0, on_several = 0;
    for (int s = 0; s < sockets; s++) {
        answered += first_tag[s] != 0;
        on_several += several[s];
    }
    double seconds = duration / 1e9;
    /* A reply to a datagram sent before the window's end, counted whenever it came. */
    if (received > sent) {
        received = sent;
    }
    printf("{\"seconds\": %.3f, \"sent\": %llu, \"received\": %llu, \"stray\": %llu, \"sendErrors\": %llu, "
           "\"conversationsAnswered\": %d, \"conversationsOnSeveralBackends\": %d, "
           "\"p50\": %.0f, \"p90\": %.0f, \"p99\": %.0f, \"p999\": %.0f, \"max\": %.0f}\n",
           seconds, (unsigned long long) sent, (unsigned long long) received, (unsigned long long) stray,
           (unsigned long long) send_errors, answered, on_several, percentile(received, 0.5), percentile(received, 0.9),
           percentile(received, 0.99), percentile(received, 0.999), percentile(received, 1.0));
    return 0;
}
