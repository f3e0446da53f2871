/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The bucket table and its queues (src/table.c, src/queue.c, src/napi.c).
 */
#ifndef _PSTEER_TABLE_H
#define _PSTEER_TABLE_H

#include <linux/cpumask.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <linux/smp.h>
#include <linux/spinlock.h>

#include "compat.h"

#define PSTEER_NO_CPU		(-1)
#define PSTEER_MAX_BUCKETS	65536
#define PSTEER_MAX_QUEUE_LEN	65536
/* Packets queued for one CPU, all its buckets together, by default. */
#define PSTEER_DEFAULT_BACKLOG	16384
#define PSTEER_MAX_BACKLOG	16777216
/*
 * Memory (skb->truesize) a bucket, and a CPU, may hold queued. A CPU's
 * default is what netdev_max_backlog's 1000 packets can pin at most, 64 KB
 * GRO packets; a bucket's, a sixteenth of it.
 */
#define PSTEER_DEFAULT_BACKLOG_BYTES	(1000 * 65536)
#define PSTEER_DEFAULT_QUEUE_BYTES	(PSTEER_DEFAULT_BACKLOG_BYTES / 16)
#define PSTEER_MIN_BYTES		65536
#define PSTEER_MAX_BYTES		BIT(31)
/* Deficit round robin: bytes a bucket may send per turn, by default. */
#define PSTEER_DEFAULT_QUANTUM	(1514 * 4)
/*
 * At least one MTU: with less, a full-size packet needs turns that send
 * nothing (each charged to the NAPI budget, see psteer_drain()).
 */
#define PSTEER_MIN_QUANTUM	1500
#define PSTEER_MAX_QUANTUM	1048576

struct psteer_table;

/**
 * struct psteer_table_ops - what a table does with packets and CPUs
 * @deliver: hand one drained packet on (the module resumes the netfilter
 *	chain; KUnit records it). Called in softirq context on the drainer.
 * @kick: make @cpu run psteer_drain() soon (the module: an IPI that
 *	schedules the CPU's NAPI). Called with no table lock held.
 */
struct psteer_table_ops {
	void (*deliver)(struct psteer_table *tbl, struct sk_buff *skb);
	void (*kick)(struct psteer_table *tbl, int cpu);
};

/**
 * struct psteer_bucket - one hash bucket: an owner CPU and a FIFO
 * @lock: guards @queue, @sched, @drops and writes of @cpu and @target
 * @cpu: owner, as the data path sees it: read without @lock (READ_ONCE)
 *	by the hook to decide inline vs queue. Changed only by the owner
 *	itself, from its drain (psteer_drain()): see "Moves" in src/queue.c.
 * @target: owner as the control path chose it (psteer_table_set_owner());
 *	differs from @cpu while a move waits for the old owner to apply it
 * @sched: the CPU whose ready list holds this bucket, which is then the
 *	only CPU allowed to dequeue from it; PSTEER_NO_CPU when the queue is
 *	empty and nothing taken from it is still being delivered.
 * @queue: packets waiting, oldest first (its own lock is not used)
 * @ready: link on the ready list of CPU @sched
 * @move: link on the move list of CPU @cpu while a move is pending;
 *	under that CPU's psteer_cpu lock
 * @pinned: set by the administrator; the rebalancer never moves it
 * @deficit: deficit round robin: bytes it may still send; under @lock
 * @packets: packets handled (inline or drained); written only by the
 *	one CPU that may handle this bucket's packets at the time
 * @bytes: as @packets, in bytes
 * @inline_packets: the part of @packets handled inline (their cost is
 *	estimated, as it is spent after the hook returns)
 * @ns: time spent delivering drained packets (local_clock()), as @packets
 * @qbytes: memory of the packets in @queue (skb->truesize); under @lock
 * @drops: packets dropped because @queue held queue_len packets or
 *	queue_bytes of memory, or its drainer's backlog was full, or flushed
 * @refused: the part of @drops that its queues refused (all but the
 *	flushed): offered load its owner did not serve, which the sampler
 *	prices (src/sampler.c); under @lock
 * @hold: while the NIC's rewrite of this bucket's entries is fenced
 *	(src/nic.c), the CPU the NIC now sends them to: its packets of the
 *	bucket wait in @held; PSTEER_NO_CPU otherwise. Written under @lock,
 *	read by the hook without it (psteer_held_for()).
 * @held: those packets, in arrival order, until psteer_release_held()
 *	appends them to @queue; under @lock
 * @hbytes: memory of the packets in @held (skb->truesize); under @lock
 * @moves: times the rebalancer moved it; under the control lock
 *
 * Cache-line aligned: neighbouring buckets belong to different CPUs
 * (owners are dealt round-robin), and the packet counters are written per
 * packet by the CPU handling the bucket.
 */
struct psteer_bucket {
	spinlock_t lock; /* see above */
	int cpu;
	int target;
	int sched;
	bool pinned;
	u32 deficit;
	u32 qbytes;
	struct sk_buff_head queue;
	struct list_head ready;
	struct list_head move;
	u64 packets;
	u64 bytes;
	u64 inline_packets;
	u64 ns;
	u64 drops;
	u64 refused;
	u64 moves;
	int hold;
	u32 hbytes;
	struct sk_buff_head held;
} ____cacheline_aligned_in_smp;

/**
 * struct psteer_cpu - per-CPU drain state
 * @lock: guards @ready, @moves and @kicked
 * @ready: buckets with packets for this CPU, in the order they got some
 * @moves: buckets this CPU owns and must give away (b->target != b->cpu)
 * @kicked: a kick is pending or the drain is running; cleared by the
 *	drain under @lock when it finds @ready and @moves empty (not by a
 *	drain that returns at once while the bypass ends: the end kicks)
 * @backlog: packets queued in the buckets this CPU drains (b->sched);
 *	changed under the bucket locks, from any CPU, hence atomic
 * @backlog_bytes: their memory (skb->truesize), as @backlog
 * @cpu: this CPU's number
 * @ns: time this CPU spent delivering drained packets
 * @drained: packets this CPU delivered from queues
 * @owned: bitmap of the buckets this CPU owns (NULL outside the set),
 *	changed with b->target under b->lock: what its timer thread walks
 * @tbl: the table this belongs to
 * @napi: the NAPI instance that drains (live table only)
 * @csd: IPI used to schedule @napi from another CPU (live table only)
 * @wake: PREEMPT_RT: the CPU's psteer/N thread is to schedule @napi
 */
struct psteer_cpu {
	spinlock_t lock; /* see above */
	struct list_head ready;
	struct list_head moves;
	bool kicked;
	atomic_t backlog;
	atomic_long_t backlog_bytes;
	int cpu;
	u64 ns;
	u64 drained;
	unsigned long *owned;
	struct psteer_table *tbl;
	struct napi_struct napi;
	call_single_data_t csd;
	bool wake;
};

/**
 * struct psteer_table - buckets, owners and per-CPU drain state
 * @nbuckets: number of buckets, fixed for the table's life
 * @queue_len: per-bucket FIFO limit; READ_ONCE, tunable at run time
 * @quantum: bytes a ready bucket may send per turn (0: it sends all it
 *	has, FIFO); READ_ONCE, tunable at run time
 * @backlog_len: most packets queued for one CPU, all buckets together, so
 *	that a flood cannot take unbounded memory; READ_ONCE, tunable
 * @queue_bytes: most memory (truesize) one bucket may hold queued;
 *	READ_ONCE, tunable
 * @backlog_bytes: most memory queued for one CPU; READ_ONCE, tunable
 * @cpus: CPUs that own buckets
 * @bypass: no CPU of @cpus is online: the hook passes every packet on
 *	where it arrives; READ_ONCE
 * @resuming: the bypass just ended, and packets it passed on may not be
 *	delivered yet: no CPU drains (psteer_table_resume()); READ_ONCE
 * @ops: delivery and kick
 * @priv: the table's user, for @ops (the module: struct psteer)
 * @buckets: @nbuckets buckets
 * @pcpu: per-CPU ready lists
 * @napi_dev: dummy netdev the NAPI instances hang off (live table only)
 */
struct psteer_table {
	u32 nbuckets;
	u32 queue_len;
	u32 quantum;
	u32 backlog_len;
	u32 queue_bytes;
	u32 backlog_bytes;
	bool bypass;
	bool resuming;
	cpumask_var_t cpus;
	const struct psteer_table_ops *ops;
	void *priv;
	struct psteer_bucket *buckets;
	struct psteer_cpu __percpu *pcpu;
	struct net_device *napi_dev;
};

/* src/table.c */
struct psteer_table *psteer_table_create(u32 nbuckets,
					 const struct cpumask *cpus,
					 u32 queue_len,
					 const struct psteer_table_ops *ops);
void psteer_table_destroy(struct psteer_table *tbl);
void psteer_table_set_owner(struct psteer_table *tbl, u32 index, int cpu);
void psteer_table_resume(struct psteer_table *tbl);
void psteer_table_resumed(struct psteer_table *tbl);
unsigned int psteer_table_owned(const struct psteer_table *tbl, int cpu);
unsigned int psteer_table_flush(struct psteer_table *tbl,
				bool (*match)(const struct sk_buff *skb,
					      const void *arg),
				const void *arg);

/* src/queue.c */
int psteer_enqueue(struct psteer_table *tbl, struct psteer_bucket *b,
		   struct sk_buff *skb);
int psteer_enqueue_behind(struct psteer_table *tbl, struct psteer_bucket *b,
			  struct sk_buff *skb);
int psteer_enqueue_held(struct psteer_table *tbl, struct psteer_bucket *b,
			struct sk_buff *skb, int cpu);
bool psteer_hold(struct psteer_table *tbl, struct psteer_bucket *b, int cpu);
u32 psteer_release_held(struct psteer_table *tbl, struct psteer_bucket *b);
#if PSTEER_KUNIT_VISIBLE
int psteer_drr_take(struct psteer_bucket *b, u32 quantum, int max,
		    struct sk_buff_head *batch);
#endif
int psteer_drain(struct psteer_table *tbl, int cpu, int budget);

/* src/napi.c */
int psteer_napi_start(struct psteer_table *tbl);
void psteer_napi_stop(struct psteer_table *tbl);
void psteer_napi_kick(struct psteer_table *tbl, int cpu);

/**
 * psteer_bucket_index() - the bucket a hash falls in, 0..@nbuckets - 1
 * @hash: a 32-bit flow hash
 * @nbuckets: number of buckets
 *
 * A multiply and a shift (reciprocal_scale), not a division.
 */
static inline u32 psteer_bucket_index(u32 hash, u32 nbuckets)
{
	return reciprocal_scale(hash, nbuckets);
}

static inline struct psteer_bucket *psteer_bucket_of(struct psteer_table *tbl,
						     u32 hash)
{
	return &tbl->buckets[psteer_bucket_index(hash, tbl->nbuckets)];
}

/**
 * psteer_bucket_owner() - the owner the control path gave @b
 * @b: a bucket
 *
 * What the rebalancer, pinning and /proc see; the data path follows once
 * the old owner has applied the move (b->cpu).
 */
static inline int psteer_bucket_owner(const struct psteer_bucket *b)
{
	return READ_ONCE(b->target);
}

/**
 * psteer_held_for() - are @cpu's packets of @b held (psteer_hold())?
 * @b: the packet's bucket
 * @cpu: the current CPU
 *
 * Lockless, in the hook, before psteer_may_inline(): the acquire pairs
 * with the release that ends the hold in psteer_release_held(), so a CPU
 * that sees it ended sees the held packets in the FIFO too (b->sched).
 */
static inline bool psteer_held_for(const struct psteer_bucket *b, int cpu)
{
	/* Pairs with smp_store_release() in psteer_release_held(). */
	return smp_load_acquire(&b->hold) == cpu;
}

/**
 * psteer_enqueue_steered() - queue a packet the hook steers
 * @tbl: table
 * @b: @skb's bucket
 * @skb: the packet; if queued, the table owns it
 * @cpu: the current CPU
 * @held: psteer_held_for(@b, @cpu), as the hook read it
 * @bypass: tbl->bypass, as the hook read it
 *
 * Behind what its bucket holds for @cpu, if a NIC's rewrite holds it
 * (psteer_enqueue_held()); else, or once that hold ended (its packets are
 * in the FIFO then), on the FIFO: psteer_enqueue(), or bypassed
 * (src/hotplug.c) psteer_enqueue_behind(), which queues only behind what
 * the FIFO still holds. Other CPUs' packets of a held bucket came from
 * the old queue and are older than the held ones: they do not wait for
 * them, bypassed or not.
 *
 * Context: softirq (the netfilter hook).
 * Return: 0 when queued, 1 when the caller passes @skb on, or -ENOBUFS
 * (the caller drops @skb).
 */
static inline int psteer_enqueue_steered(struct psteer_table *tbl,
					 struct psteer_bucket *b,
					 struct sk_buff *skb, int cpu,
					 bool held, bool bypass)
{
	int ret = unlikely(held) ? psteer_enqueue_held(tbl, b, skb, cpu) : 1;

	if (ret > 0)
		ret = unlikely(bypass) ? psteer_enqueue_behind(tbl, b, skb) :
					 psteer_enqueue(tbl, b, skb);
	return ret;
}

/**
 * psteer_may_inline() - may this CPU handle a packet of @b right away?
 * @b: the packet's bucket
 * @cpu: the current CPU
 *
 * Only the owner, and only when nothing of @b is queued or still being
 * delivered by a drainer (@b->sched unset): then no earlier packet of
 * the bucket can be overtaken. Lockless; the pairs are the WRITE_ONCEs
 * in psteer_enqueue() and psteer_drain() (which also applies moves).
 */
static inline bool psteer_may_inline(const struct psteer_bucket *b, int cpu)
{
	return READ_ONCE(b->cpu) == cpu &&
	       READ_ONCE(b->sched) == PSTEER_NO_CPU;
}

#endif /* _PSTEER_TABLE_H */
