/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Module parameters (src/params.c): parsed and validated there, read
 * everywhere through the getters below. params.c calls no other file of
 * psteer: a tunable's write is announced through the one callback that
 * src/main.c gives psteer_params_watch(), and main.c applies it.
 */
#ifndef _PSTEER_PARAMS_H
#define _PSTEER_PARAMS_H

#include <linux/cpumask.h>
#include <linux/types.h>

#include "conn.h"
#include "tuple.h"

/* What a tunable's write changes; passed to the psteer_params_watch() callback. */
enum psteer_knob {
	PSTEER_KNOB_NONE,		/* a load-time parameter */
	PSTEER_KNOB_QUEUE_LEN,
	PSTEER_KNOB_BACKLOG_LEN,
	PSTEER_KNOB_QUEUE_BYTES,
	PSTEER_KNOB_BACKLOG_BYTES,
	PSTEER_KNOB_QUANTUM,
	PSTEER_KNOB_CONTROL,		/* rebalance_ms, sample_ms, ... */
	PSTEER_KNOB_CONN_TIMEOUT,	/* conn_timeout_* */
	PSTEER_KNOB_TIMER_MS,
	PSTEER_KNOB_HW_CONNS,
};

/**
 * struct psteer_load_params - the load-time parameters, validated
 * @nbuckets: number of buckets, 1..PSTEER_MAX_BUCKETS
 * @max_conns: most connections tracked, 0..PSTEER_MAX_CONNS
 * @hash: algorithm, symmetry and Toeplitz key (the siphash key is not a
 *	parameter: main.c draws it)
 */
struct psteer_load_params {
	u32 nbuckets;
	u32 max_conns;
	struct psteer_hash_cfg hash;
};

/* src/params.c */
int psteer_params_load(struct psteer_load_params *p, struct cpumask *cpus);
void psteer_params_watch(void (*changed)(enum psteer_knob knob));
int psteer_parse_rss_key(const char *s, u8 key[PSTEER_RSS_KEY_LEN]);
int psteer_parse_hash(const char *s, enum psteer_hash_alg *alg);
u32 psteer_param_queue_len(void);
u32 psteer_param_backlog_len(void);
u32 psteer_param_queue_bytes(void);
u32 psteer_param_backlog_bytes(void);
u32 psteer_param_quantum(void);
unsigned int psteer_param_rebalance_ms(void);
unsigned int psteer_param_sample_ms(void);
u32 psteer_param_imbalance_threshold(void);
u32 psteer_param_max_moves(void);
unsigned int psteer_param_timer_ms(void);
bool psteer_param_hw_conns(void);
unsigned int psteer_param_conn_timeout(enum psteer_conn_class class);

#endif /* _PSTEER_PARAMS_H */
