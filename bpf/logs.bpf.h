/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --logs: a line a serving thread writes to its stdout, its stderr, or a
 * file it opened for appending. Only threads that read a request as a
 * server are marked (log_threads, from emit_data), so every other write on
 * the node, while --logs is on, costs one map lookup; with --logs off the
 * program is not loaded and the marking is compiled out (logs_enabled is
 * read-only data). User space decides which request, if any, a line
 * belongs to (user/tracer_log.c).
 */
#ifndef ZT_LOGS_BPF_H
#define ZT_LOGS_BPF_H

#define ZT_S_IFMT 0170000
#define ZT_S_IFREG 0100000
#define ZT_S_IFSOCK 0140000
#define ZT_S_IFCHR 0020000
#define ZT_O_APPEND 02000
/* /dev/null's device (1, 3), as the kernel packs it: what goes there is
 * thrown away on purpose */
#define ZT_DEV_NULL ((1u << 20) | 3u)

/* Keyed by pid_tgid: a thread id reused by another process names another
 * thread. LRU: a marked thread that stopped serving long ago goes first. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u8);
} log_threads SEC(".maps");

static __always_inline void log_thread_mark(__u64 pid_tgid)
{
	__u8 one = 1;

	if (!logs_enabled || bpf_map_lookup_elem(&log_threads, &pid_tgid))
		return;
	bpf_map_update_elem(&log_threads, &pid_tgid, &one, BPF_ANY);
}

/* Whether a line written to fd is a log line: fd 1 or 2 unless it is a
 * socket (its bytes are traced as a connection's), or a regular file
 * opened with O_APPEND; not /dev/null. */
static __always_inline bool log_fd_is_log(__s32 fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds;
	struct file *file;
	__u32 mode, flags;

	if (fd < 0 || !fdt || (__u32)fd >= BPF_CORE_READ(fdt, max_fds))
		return false;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return false;
	mode = BPF_CORE_READ(file, f_inode, i_mode) & ZT_S_IFMT;
	if (fd == 1 || fd == 2)
		return mode != ZT_S_IFSOCK &&
		       !(mode == ZT_S_IFCHR && BPF_CORE_READ(file, f_inode, i_rdev) == ZT_DEV_NULL);
	flags = BPF_CORE_READ(file, f_flags);
	return mode == ZT_S_IFREG && (flags & ZT_O_APPEND);
}

SEC("tracepoint/syscalls/sys_exit_write")
int sys_exit_write(struct trace_event_raw_sys_exit *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid(), buf;
	struct pt_regs *regs;
	struct event_buf *eb;
	__s64 ret = ctx->ret;
	__u32 zero = 0, cap;
	__s32 fd;

	if (!bpf_map_lookup_elem(&log_threads, &pid_tgid))
		return 0;
	if (ret <= 0 || !task_is_traced(pid_tgid >> 32))
		return 0;
	/* this tracepoint is write(2)'s alone: its arguments are still in
	 * the saved user registers */
	regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	fd = (__s32)regs->di;
	buf = regs->si;
	if (!log_fd_is_log(fd))
		return 0;
	eb = bpf_map_lookup_elem(&scratch, &zero);
	if (!eb)
		return 0;
	__builtin_memset(&eb->ev, 0, sizeof(eb->ev));
	event_fill_task(&eb->ev, pid_tgid);
	eb->ev.type = ZT_EV_LOG;
	eb->ev.syscall = ZT_SYS_WRITE;
	eb->ev.ts_enter_ns = eb->ev.ts_exit_ns = bpf_ktime_get_ns();
	eb->ev.task = (__u32)pid_tgid;
	eb->ev.fd = fd;
	eb->ev.bytes = ret;
	/* all of it up to 4 KiB, whatever --capture-bytes says (user space
	 * cuts the body to it): a '\n' in bytes not copied would go unseen */
	cap = ret < ZT_CAPTURE_MAX ? (__u32)ret : ZT_CAPTURE_MAX;
	if (bpf_probe_read_user(eb->data, cap & (ZT_CAPTURE_MAX * 2 - 1), (void *)buf)) {
		counter_add(ZT_CNT_READ_FAULTS, 1);
		return 0;
	}
	/* the write's last bytes (they may overlap the copy): is it one
	 * line, even when not all copied */
	if (cap < ret) {
		eb->ev.flags = ZT_F_TRUNCATED;
		if (ret >= ZT_TAIL_LEN &&
		    !bpf_probe_read_user(eb->ev.tail, ZT_TAIL_LEN, (void *)(buf + ret - ZT_TAIL_LEN)))
			eb->ev.tail_len = ZT_TAIL_LEN;
	}
	eb->ev.cap_len = cap;
	event_submit(eb, cap);
	return 0;
}

#endif
