/* SPDX-License-Identifier: MIT */
/*
 * What each protocol's capture policy copies of a data syscall (wire.h):
 * the head of each write (HEAD, in io_exit.bpf.h), each write whole in
 * records of ZT_CAPTURE_MAX (WHOLE), or a walk over its frames (FRAMES).
 * The loops run under bpf_loop so the verifier checks their bodies once;
 * their state lives in a stack struct, the record in the per-CPU scratch.
 */
#ifndef ZT_CAPTURE_BPF_H
#define ZT_CAPTURE_BPF_H

/* ---- WHOLE: records of ZT_CAPTURE_MAX ---- */

struct whole_walk {
	struct io_where io;
	__u64 bytes;  /* moved by the syscall */
	__u64 limit;  /* copied at most */
};

static long whole_step(__u32 i, void *ctx)
{
	struct whole_walk *w = ctx;
	__u64 off = (__u64)i * ZT_CAPTURE_MAX;
	__u32 zero = 0, n, want;
	struct event_buf *eb;

	if (off >= w->limit)
		return 1;
	eb = bpf_map_lookup_elem(&scratch, &zero);
	if (!eb)
		return 1;
	want = w->limit - off < ZT_CAPTURE_MAX ? w->limit - off : ZT_CAPTURE_MAX;
	n = copy_range(eb->data, &w->io, off, want);
	eb->ev.win_off = off;
	eb->ev.flags &= ~(ZT_F_MORE | ZT_F_TRUNCATED);
	if (n == want && off + n < w->limit)
		eb->ev.flags |= ZT_F_MORE;
	else if (off + n < w->bytes)
		eb->ev.flags |= ZT_F_TRUNCATED;
	if (n < want)
		counter_add(ZT_CNT_READ_FAULTS, 1);
	eb->ev.cap_len = n;
	event_submit(eb, n);
	return (eb->ev.flags & ZT_F_MORE) ? 0 : 1;
}

static __always_inline void emit_whole(const struct syscall_args *args, __u64 bytes)
{
	struct whole_walk w = { .bytes = bytes };
	__u32 zero = 0;
	struct event_buf *eb;

	if (io_where_of(args, &w.io)) {
		/* nothing copied, but the bytes moved: the parser sees a gap */
		counter_add(ZT_CNT_READ_FAULTS, 1);
		eb = bpf_map_lookup_elem(&scratch, &zero);
		if (!eb)
			return;
		eb->ev.flags |= ZT_F_TRUNCATED;
		eb->ev.cap_len = 0;
		event_submit(eb, 0);
		return;
	}
	w.limit = bytes < ZT_WHOLE_MAX ? bytes : ZT_WHOLE_MAX;
	bpf_loop(ZT_WHOLE_MAX / ZT_CAPTURE_MAX, whole_step, &w, 0);
}

/* ---- FRAMES: a walk over length-prefixed frames ---- */

enum frames_stop {
	FRAMES_GO = 0,
	FRAMES_END,    /* the syscall's bytes are walked (a frame may go on) */
	FRAMES_SHORT,  /* a frame header is cut by the syscall's end: carried */
	FRAMES_LOST,   /* no frame starts where one should: framing lost */
	FRAMES_OPAQUE, /* the stream turned unreadable (TLS): stop copying it */
};

struct frames_walk {
	__u64 base;        /* the walked bytes: a flat buffer, or one iovec */
	__u64 len;         /* how many of the syscall's bytes it holds */
	__u64 at;          /* where it starts in the syscall's bytes */
	__u64 off;         /* where the next frame starts, in it */
	__u64 left;        /* bytes of the last frame past this buffer */
	__u32 copy_left;   /* of those, still to copy */
	__u32 capture;
	__u32 frames_left; /* of the syscall's ZT_FRAMES_MAX, across its iovecs */
	__u32 pos;         /* payload bytes in the record */
	__u32 run_at;      /* payload offset of the open run segment + 1; 0: none */
	__u8 proto;
	__u8 request;
	__u8 state;        /* the protocol's framing state */
	__u8 stop;         /* enum frames_stop */
	__u8 nsegs;
	__u8 records;      /* submitted before this one */
	__u8 run_cls;
	__u8 hdr_len;      /* header bytes carried from the last buffer */
	__u8 hdr[ZT_FRAME_PEEK];
};

/* One frame header as the protocol reads it: in hdr/n/request/proto/
 * capture/state, out len/copy/cls/state. */
struct frame_view {
	__u8 hdr[ZT_FRAME_PEEK * 3];
	__s64 len;
	__u32 n;
	__u32 capture;
	__u32 copy;
	__u8 proto;
	__u8 request;
	__u8 state;
	__u8 cls;
};

/* A global function: the verifier checks it once, on its own, instead of
 * once per path through the walk that calls it (every protocol's frame
 * rules, times every path of the walk, is more than it will follow). */
__noinline int frame_classify(struct frame_view *v)
{
	__u32 n;

	if (!v)
		return -1;
	n = v->n < ZT_FRAME_PEEK ? v->n : ZT_FRAME_PEEK;
	v->cls = 0;
	v->copy = 0;
	v->len = zt_frame_len(v->proto, v->hdr, n, v->request, &v->state);
	if (v->len > 0)
		v->copy = zt_frame_copy(v->proto, v->hdr, n, v->request, v->capture, &v->cls);
	return 0;
}

/* Sends the record so far (more follow) and opens the next at off. */
static __always_inline int frames_flush(struct frames_walk *w, struct event_buf *eb)
{
	if (w->records + 1 >= ZT_FRAME_RECORDS_MAX)
		return -1;
	eb->ev.flags |= ZT_F_MORE | ZT_F_SEGS;
	eb->ev.nsegs = w->nsegs;
	eb->ev.cap_len = w->pos;
	event_submit(eb, w->pos);
	w->records++;
	eb->ev.win_off = w->at + w->off;
	w->pos = 0;
	w->nsegs = 0;
	w->run_at = 0;
	return 0;
}

/* Appends a segment and its first cap bytes from the walked buffer. */
static __always_inline int frames_seg(struct frames_walk *w, struct event_buf *eb, __u64 len,
				      __u32 frames, __u32 cap, __u8 cls)
{
	struct zt_seg seg = { .off = w->at + w->off, .len = len, .frames = frames, .cls = cls };
	__u32 pos;

	if (w->pos + sizeof(seg) + cap > ZT_CAPTURE_MAX && frames_flush(w, eb))
		return -1;
	if (w->nsegs == 0xff)
		return -1;
	pos = w->pos & (ZT_CAPTURE_MAX - 1);
	cap &= ZT_CAPTURE_MAX * 2 - 1;
	if (cap > ZT_CAPTURE_MAX - sizeof(seg))
		cap = ZT_CAPTURE_MAX - sizeof(seg);
	if (cap && bpf_probe_read_user(eb->data + pos + sizeof(seg), cap, (void *)(w->base + w->off))) {
		counter_add(ZT_CNT_READ_FAULTS, 1);
		cap = 0;
	}
	seg.cap = cap;
	__builtin_memcpy(eb->data + pos, &seg, sizeof(seg));
	w->pos += sizeof(seg) + cap;
	w->nsegs++;
	return 0;
}

/* One frame of the walk; global, so verified once for every state of the
 * walk (as a loop body the verifier would follow each distinct offset). */
__noinline int frames_one(struct frames_walk *w)
{
	struct frame_view v = {};
	__u32 zero = 0, k, n, want, cap;
	__u64 avail, in;
	struct event_buf *eb;
	__s64 flen;
	__u8 cls;

	if (!w)
		return 1;
	k = w->hdr_len & (ZT_FRAME_PEEK - 1);
	if (w->off >= w->len) {
		w->stop = FRAMES_END;
		return 1;
	}
	if (!w->frames_left) {
		w->stop = FRAMES_LOST;
		return 1;
	}
	w->frames_left--;
	eb = bpf_map_lookup_elem(&scratch, &zero);
	if (!eb) {
		w->stop = FRAMES_LOST;
		return 1;
	}
	avail = w->len - w->off;
	for (__u32 j = 0; j < ZT_FRAME_PEEK; j++)
		if (j < k)
			v.hdr[j] = w->hdr[j];
	n = avail < ZT_FRAME_PEEK - k ? avail : ZT_FRAME_PEEK - k;
	n &= 2 * ZT_FRAME_PEEK - 1;
	/* hdr + k stays an addition: clang would make it an OR, which the
	 * verifier refuses on a pointer */
	barrier_var(k);
	if (bpf_probe_read_user(v.hdr + k, n, (void *)(w->base + w->off))) {
		w->stop = FRAMES_LOST;
		return 1;
	}
	v.n = k + n;
	v.proto = w->proto;
	v.request = w->request;
	v.state = w->state;
	v.capture = w->capture;
	frame_classify(&v);
	w->state = v.state;
	flen = v.len;
	want = v.copy;
	cls = v.cls;
	if (flen == ZT_FRAME_SHORT && n == avail) {
		/* the header goes on in the next syscall: copy what is here */
		if (frames_seg(w, eb, n, k ? 0 : 1, n, 0))
			w->stop = FRAMES_LOST;
		else
			w->stop = FRAMES_SHORT;
		for (__u32 j = 0; j < ZT_FRAME_PEEK; j++)
			w->hdr[j] = v.hdr[j];
		w->hdr_len = k + n;
		w->off += n;
		return 1;
	}
	if (flen == ZT_FRAME_OPAQUE) {
		w->stop = FRAMES_OPAQUE;
		return 1;
	}
	if (flen <= (__s64)k) {
		w->stop = FRAMES_LOST;
		return 1;
	}
	in = (__u64)flen - k;
	if (in > avail)
		in = avail;
	/* a frame that goes on past this syscall is copied from its start,
	 * so the next syscall's bytes of it have a length to follow */
	if (!want && (in < (__u64)flen - k || k))
		want = ZT_FRAME_PEEK;
	if (!want) {
		if (w->run_at && w->run_cls == cls) {
			struct zt_seg *run = (void *)(eb->data + ((w->run_at - 1) & (ZT_CAPTURE_MAX - 1)));

			run->len += in;
			run->frames++;
		} else {
			if (frames_seg(w, eb, in, 1, 0, cls)) {
				w->stop = FRAMES_LOST;
				return 1;
			}
			w->run_at = w->pos - sizeof(struct zt_seg) + 1;
			w->run_cls = cls;
		}
	} else {
		cap = want > k ? want - k : 0;
		if (cap > in)
			cap = in;
		if (frames_seg(w, eb, in, k ? 0 : 1, cap, 0)) {
			w->stop = FRAMES_LOST;
			return 1;
		}
		w->run_at = 0;
		w->copy_left = want > k + in ? want - k - in : 0;
	}
	w->hdr_len = 0;
	w->off += in;
	if (in < (__u64)flen - k) {
		w->left = (__u64)flen - k - in;
		w->stop = FRAMES_END;
		return 1;
	}
	w->copy_left = 0;
	return 0;
}

static long frames_step(__u32 i, void *ctx)
{
	(void)i;
	return frames_one(ctx) ? 1 : 0;
}

/* The walk over one buffer of the syscall (w->base, w->len), from where
 * the last one left off. 0, or the stop that ends the whole walk
 * (FRAMES_LOST, FRAMES_OPAQUE). */
static __always_inline int frames_buffer(struct frames_walk *w, struct event_buf *eb)
{
	__u64 n;

	w->off = 0;
	w->stop = FRAMES_GO;
	/* the rest of a frame an earlier buffer began */
	if (w->left) {
		n = w->left < w->len ? w->left : w->len;
		if (frames_seg(w, eb, n, 0, w->copy_left < n ? w->copy_left : n, 0))
			return FRAMES_LOST;
		w->copy_left = w->copy_left > n ? w->copy_left - n : 0;
		w->left -= n;
		w->off = n;
		if (w->left)
			return 0;
	}
	bpf_loop(ZT_FRAMES_MAX, frames_step, w, 0);
	if (w->stop == FRAMES_OPAQUE)
		return FRAMES_OPAQUE;
	if (w->stop == FRAMES_LOST || w->stop == FRAMES_GO)
		return FRAMES_LOST;
	return 0;
}

/* The iovecs a walk follows at most: writers gather frame headers and
 * payloads from slices of their own (gRPC: a slice per header string). */
#define ZT_FRAME_IOVS 1024

struct frames_iov_walk {
	struct frames_walk w;
	__u64 iov;   /* the iovec array; flat: the buffer */
	__u64 bytes; /* the syscall's */
	__u32 vlen;  /* 0: flat */
	int stop;    /* frames_buffer's */
};

/* Iovec i of the syscall, walked on from where iovec i - 1 left off;
 * global, so verified once, not once per iteration's state. */
__noinline int frames_iov_one(struct frames_iov_walk *x, __u32 i)
{
	struct frames_walk w;
	struct iovec_user iov;
	struct event_buf *eb;
	__u32 zero = 0;

	if (!x)
		return 1;
	iov.base = x->iov;
	iov.len = x->bytes;
	if (x->w.at >= x->bytes)
		return 1;
	if (x->vlen) {
		if (i >= x->vlen)
			return 1;
		if (bpf_probe_read_user(&iov, sizeof(iov), (void *)(x->iov + i * sizeof(iov)))) {
			counter_add(ZT_CNT_READ_FAULTS, 1);
			return 1;
		}
	} else if (i) {
		return 1;
	}
	eb = bpf_map_lookup_elem(&scratch, &zero);
	if (!eb) {
		x->stop = FRAMES_LOST;
		return 1;
	}
	/* on this stack: bpf_loop's context must live on one */
	w = x->w;
	w.base = iov.base;
	w.len = iov.len < x->bytes - w.at ? iov.len : x->bytes - w.at;
	if (w.len)
		x->stop = frames_buffer(&w, eb);
	w.at += w.len;
	x->w = w;
	return x->stop ? 1 : 0;
}

static long frames_iov_step(__u32 i, void *ctx)
{
	return frames_iov_one(ctx, i) ? 1 : 0;
}

/* The walk of one syscall in one direction, over its buffer or its
 * iovecs in turn; sends its records. */
static __always_inline void emit_frames(struct event_buf *eb, struct conn_state *st,
					const struct syscall_args *args, __u64 bytes)
{
	struct frame_dir *fd = &st->fr[args->dir & 1];
	struct frames_iov_walk x = {};
	struct frames_walk *w = &x.w;
	struct io_where io;

	eb->ev.flags |= ZT_F_SEGS;
	eb->ev.win_off = 0;
	w->proto = st->proto;
	w->request = (st->role == ZT_ROLE_CLIENT) == (args->dir == ZT_DIR_EGRESS);
	w->state = st->pstate;
	w->capture = capture_bytes;
	w->frames_left = ZT_FRAMES_MAX;
	if (fd->lost || io_where_of(args, &io))
		goto send;
	w->left = fd->left;
	w->copy_left = fd->copy_left;
	w->hdr_len = fd->hdr_len;
	__builtin_memcpy(w->hdr, fd->hdr, ZT_FRAME_PEEK);
	fd->hdr_len = 0;
	x.iov = io.base;
	x.vlen = io.vlen;
	x.bytes = bytes;
	bpf_loop(ZT_FRAME_IOVS, frames_iov_step, &x, 0);
	st->pstate = w->state;
	if (x.stop == FRAMES_OPAQUE) {
		st->proto = ZT_PROTO_OPAQUE;
		counter_add(ZT_CNT_UNKNOWN_PROTO, 1);
		goto send;
	}
	if (x.stop)
		goto lost;
	/* iovecs past those walked: fine only inside a frame */
	if (w->at < bytes) {
		if (w->stop == FRAMES_SHORT || w->left < bytes - w->at)
			goto lost;
		w->left -= bytes - w->at;
		w->copy_left = 0;
	}
	if (w->stop == FRAMES_SHORT) {
		fd->hdr_len = w->hdr_len;
		__builtin_memcpy(fd->hdr, w->hdr, ZT_FRAME_PEEK);
	}
	fd->left = w->left;
	fd->copy_left = w->copy_left;
	goto send;
lost:
	fd->lost = 1;
	fd->left = 0;
	fd->hdr_len = 0;
	counter_add(ZT_CNT_FRAMES_LOST, 1);
send:
	eb->ev.flags &= ~ZT_F_MORE;
	if (w->pos < bytes - eb->ev.win_off)
		eb->ev.flags |= ZT_F_TRUNCATED;
	eb->ev.nsegs = w->nsegs;
	eb->ev.cap_len = w->pos;
	event_submit(eb, w->pos);
}

#endif /* ZT_CAPTURE_BPF_H */
