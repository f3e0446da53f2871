// SPDX-License-Identifier: GPL-2.0
/*
 * psteer show, pin, unpin and where: the /proc tables as they are, and
 * the writes that pin buckets and ask the module where a flow goes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "psteer.h"

/* A failed write or read of a psteer file, as an exit code with a message. */
static int proc_error(const char *what, int err)
{
	if (err == EPERM || err == EACCES) {
		warnx_("%s needs CAP_NET_ADMIN (run as root)", what);
		return PSTEER_EXIT_PERM;
	}
	if (err == ENOENT) {
		warnx_("the psteer module is not loaded (no %s)", proc_dir);
		return PSTEER_EXIT_NOMODULE;
	}
	warnx_("%s: %s", what, strerror(err));
	return PSTEER_EXIT_ERROR;
}

int cmd_show(int argc, char **argv, const struct opts *o)
{
	const char *what = argc ? argv[0] : "cpus";
	struct ptable t;
	int col, ret;
	size_t r, c;

	if (argc > 1) {
		warnx_("show takes one table: cpus, buckets, conns or devices");
		return PSTEER_EXIT_USAGE;
	}
	if (strcmp(what, "cpus") && strcmp(what, "buckets") && strcmp(what, "conns") &&
	    strcmp(what, "devices")) {
		warnx_("no table '%s': cpus, buckets, conns or devices", what);
		return PSTEER_EXIT_USAGE;
	}
	ret = module_check();
	if (ret)
		return ret;
	if (ptable_read(what, &t))
		return proc_error(what, errno);
	col = ptable_col(&t, "cpu");
	if (o->cpu >= 0 && col < 0) {
		ptable_free(&t);
		warnx_("%s has no cpu column", what);
		return PSTEER_EXIT_ERROR;
	}
	if (o->json) {
		ptable_print_json(&t, col, o->cpu);
		ptable_free(&t);
		return PSTEER_EXIT_OK;
	}
	for (c = 0; c < t.ncols; c++)
		printf("%s%s", c ? " " : "", t.names[c]);
	putchar('\n');
	for (r = 0; r < t.nrows; r++) {
		if (o->cpu >= 0 && (long)ptable_num(&t, r, col) != o->cpu)
			continue;
		for (c = 0; c < t.ncols; c++)
			printf("%s%s", c ? " " : "", t.rows[r][c] ? t.rows[r][c] : "-");
		putchar('\n');
	}
	ptable_free(&t);
	return PSTEER_EXIT_OK;
}

/* The CPUs that may own buckets: those with a row in cpus owning any. */
static int check_pin_args(unsigned long bucket, long cpu)
{
	struct ptable t;
	int ret = PSTEER_EXIT_OK;

	if (ptable_read("buckets", &t))
		return proc_error("buckets", errno);
	if (bucket >= t.nrows) {
		warnx_("bucket %lu out of range: psteer has buckets 0..%zu", bucket,
		       t.nrows - 1);
		ret = PSTEER_EXIT_USAGE;
	}
	ptable_free(&t);
	if (ret || cpu < 0)
		return ret;
	if (ptable_read("cpus", &t))
		return proc_error("cpus", errno);
	ret = PSTEER_EXIT_USAGE;
	for (size_t r = 0; r < t.nrows; r++)
		if ((long)ptable_num(&t, r, ptable_col(&t, "cpu")) == cpu)
			ret = PSTEER_EXIT_OK;
	ptable_free(&t);
	if (ret)
		warnx_("CPU %ld is not online (see psteer show cpus)", cpu);
	return ret;
}

static int write_buckets(const char *line)
{
	char path[512];
	ssize_t n;
	int fd, err;

	snprintf(path, sizeof(path), "%s/buckets", proc_dir);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return proc_error("pinning", errno);
	n = write(fd, line, strlen(line));
	err = errno;
	close(fd);
	if (n == (ssize_t)strlen(line))
		return PSTEER_EXIT_OK;
	if (err == EINVAL) {
		warnx_("the module refused '%s': that CPU is not one psteer steers to (its cpus parameter)",
		       line);
		return PSTEER_EXIT_USAGE;
	}
	return proc_error("pinning", err);
}

/* Pin the bucket @barg to CPU @carg, or hand it back when @carg is NULL. */
static int pin_bucket(const char *barg, const char *carg)
{
	unsigned long bucket, cpu = 0;
	char line[64];
	int ret;

	if (parse_uint(barg, 65535, &bucket)) {
		warnx_("BUCKET must be a bucket number, not '%s'", barg);
		return PSTEER_EXIT_USAGE;
	}
	if (carg && parse_uint(carg, 4095, &cpu)) {
		warnx_("CPU must be a CPU number, not '%s'", carg);
		return PSTEER_EXIT_USAGE;
	}
	ret = module_check();
	if (ret)
		return ret;
	ret = check_pin_args(bucket, carg ? (long)cpu : -1);
	if (ret)
		return ret;
	if (carg)
		snprintf(line, sizeof(line), "%lu %lu", bucket, cpu);
	else
		snprintf(line, sizeof(line), "%lu auto", bucket);
	return write_buckets(line);
}

int cmd_pin(int argc, char **argv, const struct opts *o)
{
	(void)o;
	if (argc != 2) {
		warnx_("usage: psteer pin BUCKET CPU");
		return PSTEER_EXIT_USAGE;
	}
	return pin_bucket(argv[0], argv[1]);
}

int cmd_unpin(int argc, char **argv, const struct opts *o)
{
	(void)o;
	if (argc != 1) {
		warnx_("usage: psteer unpin BUCKET");
		return PSTEER_EXIT_USAGE;
	}
	return pin_bucket(argv[0], NULL);
}

/*
 * device DEV hardware|software: drive DEV's RSS table, or stop (writes the
 * devices file of the caller's network namespace).
 */
int cmd_device(int argc, char **argv, const struct opts *o)
{
	const char *dev, *mode;
	char path[512], line[64];
	ssize_t n;
	int fd, err, ret;

	(void)o;
	if (argc != 2) {
		warnx_("usage: psteer device DEV hardware|software");
		return PSTEER_EXIT_USAGE;
	}
	dev = argv[0];
	mode = argv[1];
	if (strcmp(mode, "hardware") && strcmp(mode, "software")) {
		warnx_("device wants hardware or software, not '%s'", mode);
		return PSTEER_EXIT_USAGE;
	}
	if (!*dev || strlen(dev) > 15 || strpbrk(dev, " \t\n/")) {
		warnx_("'%s' is not a device name", dev);
		return PSTEER_EXIT_USAGE;
	}
	ret = module_check();
	if (ret)
		return ret;
	snprintf(line, sizeof(line), "%s %s", mode, dev);
	snprintf(path, sizeof(path), "%s/devices", proc_dir);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return proc_error("device", errno);
	n = write(fd, line, strlen(line));
	err = errno;
	close(fd);
	if (n == (ssize_t)strlen(line))
		return PSTEER_EXIT_OK;
	switch (err) {
	case ENODEV:
		warnx_("no device '%s' in this network namespace (see psteer show devices)",
		       dev);
		return PSTEER_EXIT_USAGE;
	case EOPNOTSUPP:
		warnx_("%s has no RSS table psteer can drive (it needs get_rxfh/set_rxfh, 2 or more receive queues, a power-of-two table and a 40-byte Toeplitz key; the kernel log says which is missing)",
		       dev);
		return PSTEER_EXIT_ERROR;
	case ENOSPC:
		warnx_("psteer drives as many devices as it can already (see psteer show devices)");
		return PSTEER_EXIT_ERROR;
	}
	return proc_error("device", err);
}

/*
 * where: the module hashes the flow with its own key and answers
 * "hash bucket cpu" on the same open file (/proc/net/psteer/where).
 */
int cmd_where(int argc, char **argv, const struct opts *o)
{
	char path[512], q[256], a[128], hash[16];
	unsigned long port;
	unsigned int bucket;
	ssize_t n;
	int fd, cpu, ret;

	if (argc != 5) {
		warnx_("usage: psteer where PROTO SRC SPORT DST DPORT");
		return PSTEER_EXIT_USAGE;
	}
	if (parse_uint(argv[2], 65535, &port) || parse_uint(argv[4], 65535, &port)) {
		warnx_("ports must be 0..65535");
		return PSTEER_EXIT_USAGE;
	}
	ret = module_check();
	if (ret)
		return ret;
	snprintf(q, sizeof(q), "%s %s %s %s %s", argv[0], argv[1], argv[2],
		 argv[3], argv[4]);
	snprintf(path, sizeof(path), "%s/where", proc_dir);
	fd = open(path, O_RDWR);
	if (fd < 0)
		return proc_error("where", errno);
	n = write(fd, q, strlen(q));
	if (n != (ssize_t)strlen(q)) {
		int err = errno;

		close(fd);
		if (err == EINVAL) {
			warnx_("the module refused '%s': PROTO is tcp, udp, udplite, sctp, dccp, icmp or a number 0..255; SRC and DST both IPv4 or both IPv6",
			       q);
			return PSTEER_EXIT_USAGE;
		}
		return proc_error("where", err);
	}
	n = pread(fd, a, sizeof(a) - 1, 0);
	close(fd);
	if (n <= 0)
		return proc_error("where", n < 0 ? errno : EPROTO);
	a[n] = '\0';
	if (sscanf(a, "%15s %u %d", hash, &bucket, &cpu) != 3)
		return proc_error("where", EPROTO);
	if (o->json)
		printf("{\"flow\":\"%s\",\"hash\":\"%s\",\"bucket\":%u,\"cpu\":%d}\n", q,
		       hash, bucket, cpu);
	else
		printf("%s: hash %s, bucket %u, CPU %d\n", q, hash, bucket, cpu);
	return PSTEER_EXIT_OK;
}
