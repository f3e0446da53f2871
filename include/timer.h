/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The per-CPU timer threads that expire the connection table's entries
 * (src/timer.c).
 */
#ifndef _PSTEER_TIMER_H
#define _PSTEER_TIMER_H

#include <linux/sched.h>

#include "conn.h"
#include "table.h"

struct psteer_timers;

/**
 * struct psteer_timer - one CPU's timer thread
 * @task: the thread, psteer_timer/@cpu; NULL for a CPU outside the set
 * @all: the set it belongs to
 * @cpu: the CPU it runs on
 */
struct psteer_timer {
	struct task_struct *task;
	struct psteer_timers *all;
	int cpu;
};

/**
 * struct psteer_timers - the timer threads and what they walk
 * @tbl: the live table (who owns which bucket)
 * @ct: the connection table
 * @cpu: nr_cpu_ids threads, by CPU number
 */
struct psteer_timers {
	struct psteer_table *tbl;
	struct psteer_conntab *ct;
	struct psteer_timer cpu[];
};

/* src/timer.c */
struct psteer_timers *psteer_timers_start(struct psteer_table *tbl,
					  struct psteer_conntab *ct);
void psteer_timers_stop(struct psteer_timers *timers);
void psteer_timer_park(struct psteer_timers *timers, int cpu);
void psteer_timer_unpark(struct psteer_timers *timers, int cpu);
void psteer_timer_wake(struct psteer_timers *timers, int cpu);
void psteer_timers_wake(struct psteer_timers *timers);
#if PSTEER_KUNIT_VISIBLE
unsigned long psteer_timer_sleep(u32 next, u32 min_timeout,
				 unsigned int timer_ms);
#endif

#endif /* _PSTEER_TIMER_H */
