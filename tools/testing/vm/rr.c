// SPDX-License-Identifier: GPL-2.0
/*
 * rr: TCP and UDP probes for psteer's VM tests. tools/testing/vm/initramfs.sh builds
 * it static (gcc -static -O2) into every test image as /usr/bin/rr.
 *
 *   rr -s PORT
 *	serve on PORT, TCP and UDP, IPv4 and IPv6: echo what each TCP
 *	connection sends, and every UDP datagram to its sender. One process,
 *	any number of connections; runs until killed.
 *
 *   rr -c ADDR PORT SECONDS [LPORT [PHASES]]
 *	request/response: one TCP connection (from local port LPORT if
 *	given and not 0), TCP_NODELAY; send 64 bytes, wait for them back,
 *	again, for SECONDS (the handshake and the last reply are waited for
 *	up to 1 s past the end; a handshake that did not finish by then
 *	reports transactions=0 stalled=1). Closes
 *	with a RST (no TIME_WAIT: LPORT is free at once). Prints
 *	"rr: transactions=N tps=T rtt_us_mean=M rtt_us_p99=P rtt_us_max=X
 *	stalled=0|1 rtt_us_p50=H rtt_us_p999=Q" (percentiles over the first
 *	MAXRTT round trips): tps is N over the time until the last reply or the
 *	give-up; stalled=1 when the last reply never came (that wait counts
 *	in rtt_us_max and in the time for tps, not in the mean).
 *	With PHASES (default 1), that many such measurements of SECONDS
 *	each on the same connection, a line each: after each but the last,
 *	rr prints its line and "rr: waiting for SIGUSR1 pid=PID", then waits
 *	for SIGUSR1 (blocked from the start: none is lost). The connection,
 *	hence the hash the sender's socket gives its packets, stays: what
 *	the first phase showed about where the flow goes holds for the next.
 *
 *   rr -n ADDR PORT N
 *	N short TCP connections one after another: connect, send 64 bytes,
 *	read them back, close. Prints "conns=N ok=K fail=F".
 *
 *   rr -u ADDR PORT K [COUNT [LPORT]]
 *	UDP from K source ports (LPORT, LPORT+1, ... if given, else
 *	ephemeral ones), one after another: COUNT (default 1) 64-byte
 *	datagrams from each, each waited for (its echo, up to 1 s). The
 *	sockets stay open until all are done. Prints "udp_flows=K sent=S
 *	recv=R secs=T", T the time from the first socket to the last echo
 *	(CLOCK_MONOTONIC, to the nanosecond).
 *
 *   rr -t USEC
 *	timer loop: wake up every USEC microseconds until killed (see
 *	ticker() for why a test VM under TCG wants one).
 *
 *   rr -m FILE
 *	instruction meter: spin until killed, adding 1 to a 64-bit counter
 *	kept in FILE (made 8 bytes long, mapped shared; read it with
 *	od -An -tu8 FILE). A benchmark under QEMU's -icount with one CPU
 *	left to the meter: the guest never idles, so guest time never jumps
 *	ahead, and the guest's other work in a window is the window's guest
 *	time less the meter's count times its nanoseconds per turn
 *	(tools/testing/guest/nicbench.sh).
 *
 *   rr -T FILE
 *	read the clock and the meter: print "NS COUNT", CLOCK_MONOTONIC in
 *	nanoseconds and the counter of rr -m FILE read right after it (to
 *	the nanosecond where /proc/uptime gives 10 ms: under -icount 10
 *	million instructions).
 *
 *   rr -q PORT SECONDS
 *	order sink: receive UDP datagrams on PORT (IPv4) for SECONDS, each
 *	carrying a sequence number per flow (source port), and count those
 *	that arrive after a later one of their flow. Prints "seq: recv=N
 *	reordered=R flows=F", and "between=T1..T2s" (seconds since it
 *	started) when R is not 0. SIGTERM ends it early: it counts what
 *	its socket holds, then prints the same line.
 *
 *   rr -Q ADDR PORT K SECONDS [PPS]
 *	order source: send sequenced 64-byte datagrams from K source ports
 *	(ephemeral), round robin, as fast as it can for SECONDS, or PPS
 *	datagrams a second in all. Prints "seq: sending" once its sockets
 *	are set up, and "seq: sent=N" at the end; SIGTERM ends it early.
 *
 * ADDR is an IPv4 or IPv6 literal. Exit status 0, or 1 when anything
 * failed (-n: a connection; -u: a datagram not echoed; -c: the connection
 * lost); 2 for a usage error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MSG	64
#define MAXRTT	(1 << 20)
#define MAXFLOWS	65536

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* addr_of: ADDR:PORT into @ss; returns its length, or 0 if ADDR is bad. */
static socklen_t addr_of(const char *addr, int port,
			 struct sockaddr_storage *ss)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		return sizeof(*a4);
	}
	if (inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		return sizeof(*a6);
	}
	fprintf(stderr, "rr: bad address %s\n", addr);
	return 0;
}

/* bind_port: bind @s to local port @port (any address) of @family. */
static int bind_port(int s, int family, int port)
{
	struct sockaddr_storage ss;
	int one = 1;

	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (addr_of(family == AF_INET ? "0.0.0.0" : "::", port, &ss) == 0)
		return -1;
	return bind(s, (struct sockaddr *)&ss,
		    family == AF_INET ? sizeof(struct sockaddr_in) :
					sizeof(struct sockaddr_in6));
}

/* full: read (@rd) or write exactly @len bytes; -1 on EOF or error. */
static int full(int fd, char *buf, int len, int rd)
{
	int done = 0;

	while (done < len) {
		ssize_t n = rd ? read(fd, buf + done, len - done) :
				 write(fd, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += n;
	}
	return 0;
}

static int serve(int port)
{
	int one = 1, ep = epoll_create1(0);
	int tl = socket(AF_INET6, SOCK_STREAM, 0);
	int us = socket(AF_INET6, SOCK_DGRAM, 0);
	struct epoll_event ev = { .events = EPOLLIN };

	if (ep < 0 || tl < 0 || us < 0 || bind_port(tl, AF_INET6, port) ||
	    listen(tl, 1024) || bind_port(us, AF_INET6, port)) {
		perror("rr: serve");
		return 1;
	}
	ev.data.fd = tl;
	epoll_ctl(ep, EPOLL_CTL_ADD, tl, &ev);
	ev.data.fd = us;
	epoll_ctl(ep, EPOLL_CTL_ADD, us, &ev);
	for (;;) {
		struct epoll_event evs[64];
		int i, n = epoll_wait(ep, evs, 64, -1);

		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			char buf[4096];
			ssize_t len;

			if (fd == tl) {
				int c = accept4(tl, NULL, NULL, SOCK_CLOEXEC);

				if (c < 0)
					continue;
				setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one,
					   sizeof(one));
				ev.data.fd = c;
				epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
			} else if (fd == us) {
				struct sockaddr_storage from;
				socklen_t fl = sizeof(from);

				len = recvfrom(us, buf, sizeof(buf), 0,
					       (struct sockaddr *)&from, &fl);
				if (len >= 0)
					sendto(us, buf, len, 0,
					       (struct sockaddr *)&from, fl);
			} else {
				/* Small requests: echo whatever arrived. */
				len = read(fd, buf, sizeof(buf));
				if (len <= 0 || full(fd, buf, len, 0))
					close(fd); /* leaves the epoll set too */
			}
		}
	}
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* SIGTERM ends rr -q and rr -Q early (not restarted: a wait returns). */
static atomic_int seq_stop;	/* lock-free: a handler may store it */

static void seq_term(int sig)
{
	(void)sig;
	seq_stop = 1;
}

static void seq_on_term(void)
{
	struct sigaction sa = { .sa_handler = seq_term };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
}

/*
 * wait_for: wait until @s has @events or the clock passes @deadline.
 * Returns 1 ready, 0 deadline, -1 once SIGTERM stopped rr -q or -Q.
 */
static int wait_for(int s, short events, double deadline)
{
	struct pollfd p = { .fd = s, .events = events };

	for (;;) {
		double left = deadline - now();

		if (seq_stop)
			return -1;
		if (left <= 0)
			return 0;
		if (poll(&p, 1, (int)(left * 1000) + 1) > 0)
			return 1;
	}
}

static int wait_in(int s, double deadline)
{
	return wait_for(s, POLLIN, deadline);
}

/*
 * tcp_to: a TCP socket connected to @dst, from local port @lport if not 0,
 * in blocking mode. -1 on error, -2 when the connection was not set up by
 * @deadline.
 */
static int tcp_to(const struct sockaddr_storage *dst, socklen_t dl, int lport,
		  double deadline)
{
	int one = 1, err = 0;
	socklen_t el = sizeof(err);
	int s = socket(dst->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (s < 0)
		return -1;
	if (lport && bind_port(s, dst->ss_family, lport)) {
		perror("rr: bind");
		close(s);
		return -1;
	}
	if (connect(s, (const struct sockaddr *)dst, dl) && errno != EINPROGRESS) {
		close(s);
		return -1;
	}
	if (!wait_for(s, POLLOUT, deadline)) {
		close(s);
		return -2;
	}
	if (getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &el) || err) {
		errno = err;
		close(s);
		return -1;
	}
	fcntl(s, F_SETFL, 0);
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return s;
}

/*
 * One phase of client(): request/response on @s for @secs; prints its line.
 * Returns 0, or 1 when the connection was lost; *@stalled set when a reply
 * never came (the connection is then of no use for another phase).
 */
static int client_phase(int s, double secs, int *stalled)
{
	static double rtt[MAXRTT];
	double start = now(), end = start + secs, sum = 0, max = 0, t = 0;
	char buf[MSG] = "psteer";
	long n = 0, k;

	while ((t = now()) < end) {
		if (full(s, buf, MSG, 0)) {
			fprintf(stderr, "rr: connection lost\n");
			return 1;
		}
		/* A reply not back a second after the end is not waited for. */
		if (!wait_in(s, end + 1)) {
			*stalled = 1;
			t = now() - t;
			max = t > max ? t : max;
			break;
		}
		if (full(s, buf, MSG, 1)) {
			fprintf(stderr, "rr: connection lost\n");
			return 1;
		}
		t = now() - t;
		sum += t;
		max = t > max ? t : max;
		if (n < MAXRTT)
			rtt[n] = t;
		n++;
	}
	k = n < MAXRTT ? n : MAXRTT;
	qsort(rtt, k, sizeof(rtt[0]), cmp);
	printf("rr: transactions=%ld tps=%.0f rtt_us_mean=%.0f rtt_us_p99=%.0f rtt_us_max=%.0f stalled=%d rtt_us_p50=%.0f rtt_us_p999=%.0f\n",
	       n, n / (now() - start), n ? sum / n * 1e6 : 0,
	       k ? rtt[k * 99 / 100] * 1e6 : 0, max * 1e6, *stalled,
	       k ? rtt[k / 2] * 1e6 : 0, k ? rtt[k * 999 / 1000] * 1e6 : 0);
	return 0;
}

static int client(const char *addr, int port, double secs, int lport,
		  int phases)
{
	struct sockaddr_storage dst;
	socklen_t dl = addr_of(addr, port, &dst);
	int s, sig, stalled = 0, ret = 0;
	double start;
	sigset_t usr1;

	if (!dl)
		return 2;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	start = now();
	s = tcp_to(&dst, dl, lport, start + secs + 1);
	if (s == -1) {
		perror("rr: connect");
		return 1;
	}
	if (s == -2) {
		/* Not even the handshake got through: a measurement too. */
		printf("rr: transactions=0 tps=0 rtt_us_mean=0 rtt_us_p99=0 rtt_us_max=%.0f stalled=1 rtt_us_p50=0 rtt_us_p999=0\n",
		       (now() - start) * 1e6);
		return 0;
	}
	while (phases-- > 0) {
		ret = client_phase(s, secs, &stalled);
		if (ret || stalled || !phases)
			break;
		/* Line-buffered (main()): out before the wait. */
		printf("rr: waiting for SIGUSR1 pid=%d\n", (int)getpid());
		sigwait(&usr1, &sig);
	}
	/* Abortive close: no TIME_WAIT, so LPORT can be used again at once. */
	setsockopt(s, SOL_SOCKET, SO_LINGER,
		   &(struct linger){ .l_onoff = 1, .l_linger = 0 },
		   sizeof(struct linger));
	close(s);
	return ret;
}

static int conns(const char *addr, int port, long count)
{
	struct sockaddr_storage dst;
	socklen_t dl = addr_of(addr, port, &dst);
	char buf[MSG] = "psteer";
	long i, ok = 0;

	if (!dl)
		return 2;
	for (i = 0; i < count; i++) {
		int s = tcp_to(&dst, dl, 0, now() + 5);

		if (s < 0)
			continue;
		if (!full(s, buf, MSG, 0) && wait_in(s, now() + 5) &&
		    !full(s, buf, MSG, 1))
			ok++;
		close(s);
	}
	printf("conns=%ld ok=%ld fail=%ld\n", count, ok, count - ok);
	return ok == count ? 0 : 1;
}

static int udp_flows(const char *addr, int port, int k, int count, int lport)
{
	static int fds[MAXFLOWS];
	struct sockaddr_storage dst;
	socklen_t dl = addr_of(addr, port, &dst);
	char buf[MSG] = "psteer";
	long sent = 0, recvd = 0;
	double start = now(), secs;
	int i, j;

	if (!dl)
		return 2;
	/* One datagram at a time, each waited for: no loss to queue limits. */
	for (i = 0; i < k; i++) {
		fds[i] = socket(dst.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fds[i] < 0 ||
		    (lport && bind_port(fds[i], dst.ss_family, lport + i)) ||
		    connect(fds[i], (struct sockaddr *)&dst, dl)) {
			perror("rr: udp socket");
			return 1;
		}
		for (j = 0; j < count; j++) {
			if (send(fds[i], buf, MSG, 0) != MSG)
				continue;
			sent++;
			if (wait_in(fds[i], now() + 1) &&
			    recv(fds[i], buf, MSG, MSG_DONTWAIT) >= 0)
				recvd++;
		}
	}
	secs = now() - start;
	for (i = 0; i < k; i++)
		close(fds[i]);
	printf("udp_flows=%d sent=%ld recv=%ld secs=%.6f\n", k, sent, recvd,
	       secs);
	return recvd == (long)k * count ? 0 : 1;
}

/*
 * ticker: sleep @usec, wake up, again, until killed. Under QEMU's
 * single-threaded TCG a vCPU that never idles runs until a timer of the
 * host side fires; each wake-up here is one, so QEMU switches vCPUs at
 * least that often, as parallel CPUs would.
 */
static int ticker(long usec)
{
	struct timespec ts = { .tv_sec = usec / 1000000,
			       .tv_nsec = usec % 1000000 * 1000 };

	for (;;)
		nanosleep(&ts, NULL);
	return 0;
}

static int meter(const char *file)
{
	unsigned long long *n, turns = 0;
	int fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || ftruncate(fd, sizeof(*n)) < 0) {
		perror("rr: meter");
		return 1;
	}
	n = mmap(NULL, sizeof(*n), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (n == MAP_FAILED) {
		perror("rr: meter");
		return 1;
	}
	/* A relaxed atomic store: a plain move the compiler keeps. */
	for (;;)
		__atomic_store_n(n, ++turns, __ATOMIC_RELAXED);
	return 0;
}

static int meter_read(const char *file)
{
	unsigned long long n;
	struct timespec ts;
	int fd = open(file, O_RDONLY);

	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (fd < 0 || pread(fd, &n, sizeof(n), 0) != sizeof(n)) {
		perror("rr: meter");
		return 1;
	}
	printf("%llu %llu\n",
	       (unsigned long long)ts.tv_sec * 1000000000ULL + ts.tv_nsec, n);
	return 0;
}

/* Sequenced datagrams: rr -q counts what arrives out of order, rr -Q sends. */
struct seq_msg {
	unsigned long long seq;
	char pad[MSG - sizeof(unsigned long long)];
};

static int seq_sink(int port, double secs)
{
	static unsigned long long next[MAXFLOWS];
	static unsigned char seen[MAXFLOWS];
	long recv = 0, reordered = 0, flows = 0;
	double start = now(), end = start + secs, first = -1, last = -1;
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	int rcvbuf = 4 << 20;

	seq_on_term();
	setsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (s < 0 || bind_port(s, AF_INET, port) < 0) {
		perror("rr: udp sink");
		return 1;
	}
	for (;;) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		struct seq_msg m;
		unsigned int f;
		ssize_t n;

		/* After SIGTERM, only what the socket already holds. */
		if (!seq_stop && wait_in(s, end) <= 0 && !seq_stop)
			break;
		n = recvfrom(s, &m, sizeof(m), seq_stop ? MSG_DONTWAIT : 0,
			     (struct sockaddr *)&from, &fl);
		if (n < 0 && seq_stop && errno != EINTR)
			break;
		if (n != sizeof(m))
			continue;
		f = ntohs(from.sin_port);
		recv++;
		if (!seen[f]) {
			seen[f] = 1;
			flows++;
		}
		if (m.seq < next[f]) {
			reordered++;
			last = now() - start;
			if (first < 0)
				first = last;
		} else {
			next[f] = m.seq + 1;
		}
	}
	printf("seq: recv=%ld reordered=%ld flows=%ld", recv, reordered,
	       flows);
	if (reordered)
		printf(" between=%.3f..%.3fs", first, last);
	printf("\n");
	return 0;
}

static int seq_source(const char *addr, int port, int k, double secs,
		      double pps)
{
	struct sockaddr_storage dst;
	socklen_t dl = addr_of(addr, port, &dst);
	double start = now(), end = start + secs;
	unsigned long long sent = 0;
	struct seq_msg m = { 0 };
	int *s, i;

	seq_on_term();
	s = calloc(k, sizeof(*s));
	if (!dl || !s)
		return 1;
	for (i = 0; i < k; i++) {
		s[i] = socket(dst.ss_family, SOCK_DGRAM, 0);
		if (s[i] < 0 || connect(s[i], (struct sockaddr *)&dst, dl) < 0) {
			perror("rr: udp source");
			return 1;
		}
	}
	printf("seq: sending\n");
	while (!seq_stop && now() < end) {
		for (i = 0; i < k; i++) {
			m.seq = sent / k;
			/* A full queue drops it: only the order counts. */
			send(s[i], &m, sizeof(m), 0);
			sent++;
		}
		if (pps > 0) {
			double ahead = start + sent / pps - now();

			if (ahead > 0)
				usleep(ahead * 1e6);
		}
	}
	printf("seq: sent=%llu\n", sent);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: rr -s PORT\n"
		"       rr -c ADDR PORT SECONDS [LPORT [PHASES]]\n"
		"       rr -n ADDR PORT N\n"
		"       rr -u ADDR PORT K [COUNT [LPORT]]\n"
		"       rr -t USEC\n"
		"       rr -m FILE\n"
		"       rr -T FILE\n"
		"       rr -q PORT SECONDS\n"
		"       rr -Q ADDR PORT K SECONDS [PPS]\n");
	return 2;
}

int main(int argc, char **argv)
{
	int k;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "-s"))
		return serve(atoi(argv[2]));
	if (argc >= 5 && argc <= 7 && !strcmp(argv[1], "-c")) {
		k = argc == 7 ? atoi(argv[6]) : 1;
		if (k < 1)
			return usage();
		return client(argv[2], atoi(argv[3]), atof(argv[4]),
			      argc >= 6 ? atoi(argv[5]) : 0, k);
	}
	if (argc == 5 && !strcmp(argv[1], "-n"))
		return conns(argv[2], atoi(argv[3]), atol(argv[4]));
	if (argc == 3 && !strcmp(argv[1], "-t") && atol(argv[2]) > 0)
		return ticker(atol(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "-m"))
		return meter(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "-T"))
		return meter_read(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "-q"))
		return seq_sink(atoi(argv[2]), atof(argv[3]));
	if ((argc == 6 || argc == 7) && !strcmp(argv[1], "-Q")) {
		k = atoi(argv[4]);
		if (k < 1 || k > 1024)
			return usage();
		return seq_source(argv[2], atoi(argv[3]), k, atof(argv[5]),
				  argc == 7 ? atof(argv[6]) : 0);
	}
	if (argc >= 5 && argc <= 7 && !strcmp(argv[1], "-u")) {
		k = atoi(argv[4]);
		if (k < 1 || k > MAXFLOWS)
			return usage();
		return udp_flows(argv[2], atoi(argv[3]), k,
				 argc >= 6 ? atoi(argv[5]) : 1,
				 argc == 7 ? atoi(argv[6]) : 0);
	}
	return usage();
}
