// SPDX-License-Identifier: GPL-2.0
/*
 * Reading psteer's /proc tables (a header line of column names, then one
 * row per line, fields split by blanks) and printing them as JSON.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "psteer.h"

static char *read_all(const char *path)
{
	size_t cap = 65536, len = 0, n;
	char *buf = malloc(cap), *p;
	FILE *f = fopen(path, "r");

	if (!buf || !f) {
		int err = errno;

		free(buf);
		if (f)
			fclose(f);
		errno = err;
		return NULL;
	}
	while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (cap - len > 1)
			continue;
		p = realloc(buf, cap * 2);
		if (!p) {
			free(buf);
			fclose(f);
			errno = ENOMEM;
			return NULL;
		}
		buf = p;
		cap *= 2;
	}
	if (ferror(f)) {
		int err = errno;

		free(buf);
		fclose(f);
		errno = err;
		return NULL;
	}
	fclose(f);
	buf[len] = '\0';
	return buf;
}

/* Split @line on blanks in place; the fields in a new array, counted in *n. */
static char **split(char *line, size_t *n)
{
	size_t cap = 16;
	char **v = malloc(cap * sizeof(*v)), *save = NULL, *tok;

	*n = 0;
	if (!v)
		return NULL;
	for (tok = strtok_r(line, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		if (*n == cap) {
			char **p = realloc(v, 2 * cap * sizeof(*v));

			if (!p) {
				free(v);
				return NULL;
			}
			v = p;
			cap *= 2;
		}
		v[(*n)++] = tok;
	}
	return v;
}

/*
 * ptable_read() - read /proc/net/psteer/@name into @t.
 * Returns 0, or -1 with errno set.
 */
int ptable_read(const char *name, struct ptable *t)
{
	char path[512], *line, *save = NULL;
	size_t cap = 256, n;

	memset(t, 0, sizeof(*t));
	snprintf(path, sizeof(path), "%s/%s", proc_dir, name);
	t->text = read_all(path);
	if (!t->text)
		return -1;
	line = strtok_r(t->text, "\n", &save);
	if (!line) {
		errno = EPROTO;
		return -1;
	}
	t->names = split(line, &t->ncols);
	t->rows = malloc(cap * sizeof(*t->rows));
	if (!t->names || !t->rows)
		goto nomem;
	while ((line = strtok_r(NULL, "\n", &save))) {
		char **row;

		if (t->nrows == cap) {
			char ***p = realloc(t->rows, 2 * cap * sizeof(*p));

			if (!p)
				goto nomem;
			t->rows = p;
			cap *= 2;
		}
		row = split(line, &n);
		if (!row)
			goto nomem;
		if (n < t->ncols) {
			/* A short row: pad it with NULLs. */
			char **p = realloc(row, t->ncols * sizeof(*p));

			if (!p) {
				free(row);
				goto nomem;
			}
			row = p;
			while (n < t->ncols)
				row[n++] = NULL;
		}
		t->rows[t->nrows++] = row;
	}
	return 0;
nomem:
	ptable_free(t);
	errno = ENOMEM;
	return -1;
}

void ptable_free(struct ptable *t)
{
	size_t r;

	for (r = 0; r < t->nrows; r++)
		free(t->rows[r]);
	free(t->rows);
	free(t->names);
	free(t->text);
	memset(t, 0, sizeof(*t));
}

/* The index of column @name, or -1. */
int ptable_col(const struct ptable *t, const char *name)
{
	size_t c;

	for (c = 0; c < t->ncols; c++)
		if (!strcmp(t->names[c], name))
			return (int)c;
	return -1;
}

const char *ptable_get(const struct ptable *t, size_t row, int col)
{
	if (col < 0 || (size_t)col >= t->ncols || row >= t->nrows)
		return NULL;
	return t->rows[row][col];
}

/* A numeric field, 0 if missing or not a number. */
unsigned long long ptable_num(const struct ptable *t, size_t row, int col)
{
	const char *s = ptable_get(t, row, col);

	return s ? strtoull(s, NULL, 10) : 0;
}

void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

/* A field as a JSON number when it is one, else as a string ("-": null). */
void json_value(const char *s)
{
	char *end;

	if (!s || !strcmp(s, "-")) {
		fputs("null", stdout);
		return;
	}
	strtod(s, &end);
	if (*s && !*end && s[strspn(s, "-0123456789.")] == '\0' &&
	    !(s[0] == '0' && s[1] >= '0' && s[1] <= '9'))
		fputs(s, stdout);
	else
		json_string(s);
}

/* @t as a JSON array of objects, only rows whose column @cpucol is @cpu
 * (all when @cpu < 0).
 */
void ptable_print_json(const struct ptable *t, int cpucol, int cpu)
{
	size_t r, c;
	bool first = true;

	putchar('[');
	for (r = 0; r < t->nrows; r++) {
		if (cpu >= 0 && (long long)ptable_num(t, r, cpucol) != cpu)
			continue;
		printf("%s{", first ? "" : ",");
		first = false;
		for (c = 0; c < t->ncols; c++) {
			printf("%s", c ? "," : "");
			json_string(t->names[c]);
			putchar(':');
			json_value(t->rows[r][c]);
		}
		putchar('}');
	}
	puts("]");
}
