// SPDX-License-Identifier: GPL-2.0
/*
 * psteer(8): live rates and control of the psteer module.
 *
 *   psteer stat [--top N] [--json | --prometheus] [INTERVAL [COUNT]]
 *   psteer show [cpus | buckets | conns | devices] [--cpu N] [--json]
 *   psteer pin BUCKET CPU
 *   psteer unpin BUCKET
 *   psteer where PROTO SRC SPORT DST DPORT [--json]
 *   psteer device DEV hardware|software
 *
 * Everything goes through /proc/net/psteer ($PSTEER_PROC overrides it, for
 * tests); see psteer.8.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "psteer.h"

const char *proc_dir = "/proc/net/psteer";

void warnx_(const char *fmt, ...)
{
	va_list ap;

	fputs("psteer: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* A decimal number 0..@max, the whole string. Returns 0 or -1. */
int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno || *end || *out > max)
		return -1;
	return 0;
}

/* PSTEER_EXIT_OK when psteer's /proc files are there, else a message. */
int module_check(void)
{
	struct stat st;

	if (stat(proc_dir, &st) == 0 && S_ISDIR(st.st_mode))
		return PSTEER_EXIT_OK;
	warnx_("the psteer module is not loaded (no %s): modprobe psteer", proc_dir);
	return PSTEER_EXIT_NOMODULE;
}

static void usage(FILE *f)
{
	fputs("usage: psteer stat [--top N] [--json | --prometheus] [INTERVAL [COUNT]]\n"
	      "       psteer show [cpus | buckets | conns | devices] [--cpu N] [--json]\n"
	      "       psteer pin BUCKET CPU\n"
	      "       psteer unpin BUCKET\n"
	      "       psteer where PROTO SRC SPORT DST DPORT [--json]\n"
	      "       psteer device DEV hardware|software\n"
	      "       psteer help\n"
	      "See psteer(8).\n", f);
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv, const struct opts *o);
	bool json, prometheus, cpu, top;
} cmds[] = {
	{ "stat", cmd_stat, true, true, false, true },
	{ "show", cmd_show, true, false, true, false },
	{ "pin", cmd_pin, false, false, false, false },
	{ "unpin", cmd_unpin, false, false, false, false },
	{ "where", cmd_where, true, false, false, false },
	{ "device", cmd_device, false, false, false, false },
};

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "prometheus", no_argument, NULL, 'p' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "top", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .cpu = -1 };
	unsigned long v;
	size_t i;
	int c;

	if (getenv("PSTEER_PROC"))
		proc_dir = getenv("PSTEER_PROC");
	if (argc < 2) {
		usage(stderr);
		return PSTEER_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "-h")) {
		usage(stdout);
		return PSTEER_EXIT_OK;
	}
	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		if (!strcmp(argv[1], cmds[i].name))
			break;
	if (i == ARRAY_SIZE(cmds)) {
		warnx_("unknown command '%s'", argv[1]);
		usage(stderr);
		return PSTEER_EXIT_USAGE;
	}
	argc--;
	argv++;
	/* Options may come anywhere (GNU getopt moves the arguments last). */
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o.json = true;
			break;
		case 'p':
			o.prometheus = true;
			break;
		case 'c':
			if (parse_uint(optarg, 4095, &v)) {
				warnx_("--cpu wants a CPU number, not '%s'", optarg);
				return PSTEER_EXIT_USAGE;
			}
			o.cpu = (int)v;
			break;
		case 't':
			if (parse_uint(optarg, 65536, &v) || !v) {
				warnx_("--top wants a number of buckets 1..65536, not '%s'",
				       optarg);
				return PSTEER_EXIT_USAGE;
			}
			o.top = (int)v;
			break;
		case 'h':
			usage(stdout);
			return PSTEER_EXIT_OK;
		case ':':
			warnx_("%s wants a value", argv[optind - 1]);
			return PSTEER_EXIT_USAGE;
		default:
			if (optopt >= '0' && optopt <= '9') {
				warnx_("'%s': no argument may be negative", argv[optind - 1]);
				return PSTEER_EXIT_USAGE;
			}
			warnx_("unknown option '%s'", argv[optind - 1]);
			usage(stderr);
			return PSTEER_EXIT_USAGE;
		}
	}
	if ((o.json && !cmds[i].json) || (o.prometheus && !cmds[i].prometheus) ||
	    (o.cpu >= 0 && !cmds[i].cpu) || (o.top && !cmds[i].top)) {
		warnx_("'%s' takes no %s", cmds[i].name,
		       o.json && !cmds[i].json ? "--json" :
		       o.prometheus && !cmds[i].prometheus ? "--prometheus" :
		       o.cpu >= 0 && !cmds[i].cpu ? "--cpu" : "--top");
		return PSTEER_EXIT_USAGE;
	}
	if (o.json && o.prometheus) {
		warnx_("--json and --prometheus exclude each other");
		return PSTEER_EXIT_USAGE;
	}
	return cmds[i].fn(argc - optind, argv + optind, &o);
}
