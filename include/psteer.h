/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Module-wide state: the live table, the hash configuration, per-netns
 * data, and the entry points of hook.c, proc.c and params.c.
 */
#ifndef _PSTEER_H
#define _PSTEER_H

#include <linux/cpumask.h>
#include <linux/percpu.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "conn.h"
#include "table.h"
#include "tuple.h"

/**
 * struct psteer_stats - per-CPU, per-netns packet counters
 * @inline_pkts: handled inline on the owner CPU
 * @inline_bytes: bytes of @inline_pkts
 * @steered: queued to a bucket by this CPU
 * @steered_bytes: bytes of @steered
 * @drained: delivered from a bucket queue by this CPU
 * @drained_bytes: bytes of @drained
 * @dropped: dropped: bucket queue full, or psteer's hook gone
 * @unparsed: not IP or malformed, passed untouched
 * @untracked: packets of new connections the connection table could not
 *	hold (max_conns reached or no memory); they pass as usual
 *
 * Written only by the CPU they belong to, in softirq: no shared cache
 * line is written per packet.
 */
struct psteer_stats {
	u64 inline_pkts;
	u64 inline_bytes;
	u64 steered;
	u64 steered_bytes;
	u64 drained;
	u64 drained_bytes;
	u64 dropped;
	u64 unparsed;
	u64 untracked;
};

/**
 * struct psteer_net - per network namespace state
 * @stats: this namespace's counters
 */
struct psteer_net {
	struct psteer_stats __percpu *stats;
};

/* src/main.c */
/* The live table. Set and cleared under kernel_param_lock(THIS_MODULE). */
extern struct psteer_table *psteer_tbl;
/* The connection table; NULL with max_conns=0. Set before the hooks. */
extern struct psteer_conntab *psteer_conns;
extern struct psteer_hash_cfg psteer_hash;
extern unsigned int psteer_net_id;

static inline struct psteer_net *psteer_pernet(const struct net *net)
{
	return net_generic(net, psteer_net_id);
}

/* src/params.c */
extern struct cpumask psteer_cpus;
int psteer_params_load(void);
u32 psteer_param_nbuckets(void);
u32 psteer_param_queue_len(void);
u32 psteer_param_quantum(void);
u32 psteer_param_max_conns(void);
void psteer_param_conn_timeouts(struct psteer_conntab *ct);
u32 psteer_param_backlog_len(void);
unsigned int psteer_param_rebalance_ms(void);
unsigned int psteer_param_sample_ms(void);
u32 psteer_param_threshold_ppm(void);
u32 psteer_param_max_moves(u32 nbuckets);
int psteer_parse_rss_key(const char *s, u8 key[PSTEER_RSS_KEY_LEN]);
int psteer_parse_hash(const char *s, enum psteer_hash_alg *alg);

/* src/hook.c */
extern const struct psteer_table_ops psteer_live_ops;
int psteer_hook_net_init(struct net *net);
void psteer_hook_net_exit(struct net *net);
int psteer_hook_init(void);
void psteer_hook_exit(void);

/* src/hotplug.c */
int psteer_hotplug_start(void);
void psteer_hotplug_stop(void);

/* src/proc.c */
int psteer_proc_net_init(struct net *net);
void psteer_proc_net_exit(struct net *net);

#endif /* _PSTEER_H */
