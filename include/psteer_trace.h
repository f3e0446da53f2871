/* SPDX-License-Identifier: GPL-2.0 */
/*
 * psteer's tracepoints: events/psteer/ in tracefs, usable from perf and
 * bpftrace. Created in src/trace.c (CREATE_TRACE_POINTS).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM psteer

#if !defined(_PSTEER_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _PSTEER_TRACE_H

#include <linux/tracepoint.h>

/* One rebalancing round: the usages it saw, D, and what it did. */
TRACE_EVENT(rebalance,
	    TP_PROTO(u32 ncpus, const u32 *usage, u32 mean, s64 total_index,
		     u32 nmoves, u64 ns),
	    TP_ARGS(ncpus, usage, mean, total_index, nmoves, ns),
	    TP_STRUCT__entry(__field(u32, ncpus)
			     __field(u32, mean)
			     __field(s64, total_index)
			     __field(u32, nmoves)
			     __field(u64, ns)
			     __dynamic_array(u32, usage, ncpus)),
	    TP_fast_assign(__entry->ncpus = ncpus;
			   __entry->mean = mean;
			   __entry->total_index = total_index;
			   __entry->nmoves = nmoves;
			   __entry->ns = ns;
			   memcpy(__get_dynamic_array(usage), usage,
				  ncpus * sizeof(u32));),
	    TP_printk("cpus=%u mean_ppm=%u D_ppm=%lld moves=%u ns=%llu usage_ppm=%s",
		      __entry->ncpus, __entry->mean, __entry->total_index,
		      __entry->nmoves, __entry->ns,
		      __print_array(__get_dynamic_array(usage),
				    __entry->ncpus, sizeof(u32)))
);

/* One bucket moved by the rebalancer. */
TRACE_EVENT(bucket_move,
	    TP_PROTO(u32 bucket, int from, int to, u32 load),
	    TP_ARGS(bucket, from, to, load),
	    TP_STRUCT__entry(__field(u32, bucket)
			     __field(int, from)
			     __field(int, to)
			     __field(u32, load)),
	    TP_fast_assign(__entry->bucket = bucket;
			   __entry->from = from;
			   __entry->to = to;
			   __entry->load = load;),
	    TP_printk("bucket=%u from=%d to=%d load_ppm=%u", __entry->bucket,
		      __entry->from, __entry->to, __entry->load)
);

/* A timer thread's pass that expired connections of its CPU's buckets. */
TRACE_EVENT(conn_expire,
	    TP_PROTO(int cpu, u32 expired, u64 ns),
	    TP_ARGS(cpu, expired, ns),
	    TP_STRUCT__entry(__field(int, cpu)
			     __field(u32, expired)
			     __field(u64, ns)),
	    TP_fast_assign(__entry->cpu = cpu;
			   __entry->expired = expired;
			   __entry->ns = ns;),
	    TP_printk("cpu=%d expired=%u pass_ns=%llu", __entry->cpu,
		      __entry->expired, __entry->ns)
);

/* A batch of exiting namespaces: what psteer freed of theirs. */
TRACE_EVENT(netns_exit,
	    TP_PROTO(u32 nets, u32 packets, u32 conns),
	    TP_ARGS(nets, packets, conns),
	    TP_STRUCT__entry(__field(u32, nets)
			     __field(u32, packets)
			     __field(u32, conns)),
	    TP_fast_assign(__entry->nets = nets;
			   __entry->packets = packets;
			   __entry->conns = conns;),
	    TP_printk("nets=%u packets=%u conns=%u", __entry->nets,
		      __entry->packets, __entry->conns)
);

/*
 * A driven NIC's rewrite fenced (src/nic.c): the old queues it waited
 * for, its looks at them that found a NAPI busy or RTNL or the device's
 * lock taken, how long it took from its start and from the start of its
 * bound (0 when no round had found every queue left busy), and the
 * queues given up.
 */
TRACE_EVENT(hw_fence,
	    TP_PROTO(int ifindex, u32 queues, u32 busy, u32 locked, u64 ns,
		     u64 bound_ns, u32 timeouts),
	    TP_ARGS(ifindex, queues, busy, locked, ns, bound_ns, timeouts),
	    TP_STRUCT__entry(__field(int, ifindex)
			     __field(u32, queues)
			     __field(u32, busy)
			     __field(u32, locked)
			     __field(u64, ns)
			     __field(u64, bound_ns)
			     __field(u32, timeouts)),
	    TP_fast_assign(__entry->ifindex = ifindex;
			   __entry->queues = queues;
			   __entry->busy = busy;
			   __entry->locked = locked;
			   __entry->ns = ns;
			   __entry->bound_ns = bound_ns;
			   __entry->timeouts = timeouts;),
	    TP_printk("ifindex=%d queues=%u busy=%u locked=%u ns=%llu bound_ns=%llu timeouts=%u",
		      __entry->ifindex, __entry->queues, __entry->busy,
		      __entry->locked, __entry->ns, __entry->bound_ns,
		      __entry->timeouts)
);

#endif /* _PSTEER_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE psteer_trace
#include <trace/define_trace.h>
