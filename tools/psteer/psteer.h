/* SPDX-License-Identifier: GPL-2.0 */
/*
 * psteer(8): the administrator's view of the psteer module, over its
 * /proc/net/psteer files (no dependency beyond libc).
 */
#ifndef PSTEER_CMD_H
#define PSTEER_CMD_H

#include <stdbool.h>
#include <stddef.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define __printf(a, b)	__attribute__((format(printf, a, b)))

/* Exit codes (psteer.8, EXIT STATUS). */
enum {
	PSTEER_EXIT_OK = 0,
	PSTEER_EXIT_ERROR = 1,		/* I/O error, the kernel refused */
	PSTEER_EXIT_USAGE = 2,		/* bad command line or argument */
	PSTEER_EXIT_NOMODULE = 3,	/* psteer is not loaded */
	PSTEER_EXIT_PERM = 4,		/* CAP_NET_ADMIN needed */
};

/* One /proc/net/psteer table: a header line of names, then rows. */
struct ptable {
	char **names;	/* column names */
	size_t ncols;
	char ***rows;	/* rows[r][c], NULL when a row is short */
	size_t nrows;
	char *text;	/* the file, owning every string above */
};

struct opts {
	bool json;
	bool prometheus;
	int cpu;	/* --cpu N, -1 for all */
	int top;	/* --top N, 0 for none */
};

/* psteer.c */
extern const char *proc_dir;
void __printf(1, 2) warnx_(const char *fmt, ...);
int parse_uint(const char *s, unsigned long max, unsigned long *out);
int module_check(void);

/* table.c */
int ptable_read(const char *name, struct ptable *t);
void ptable_free(struct ptable *t);
int ptable_col(const struct ptable *t, const char *name);
const char *ptable_get(const struct ptable *t, size_t row, int col);
unsigned long long ptable_num(const struct ptable *t, size_t row, int col);
void json_string(const char *s);
void json_value(const char *s);
void ptable_print_json(const struct ptable *t, int cpucol, int cpu);

/* stat.c */
int cmd_stat(int argc, char **argv, const struct opts *o);

/* show.c */
int cmd_show(int argc, char **argv, const struct opts *o);
int cmd_pin(int argc, char **argv, const struct opts *o);
int cmd_device(int argc, char **argv, const struct opts *o);
int cmd_unpin(int argc, char **argv, const struct opts *o);
int cmd_where(int argc, char **argv, const struct opts *o);

#endif /* PSTEER_CMD_H */
