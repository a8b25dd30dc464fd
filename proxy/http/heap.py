"""A worker's C heap: memory freed by one request kept for the next.

An agent's request body is up to a megabyte or more, read into one buffer,
copied again when its model is renamed in place (``proxy.wire.json_top``),
and freed when the request ends.  glibc's malloc serves a block of 128 KiB
or more with a fresh ``mmap`` and, once more than twice that is free at the
top of its heap, hands it back to the system (a trim); either way the next
request's buffer is memory the kernel must fault in and zero again, page by
page: ~3 µs a 4 KiB page on the bench's VM, over 1 ms for one rename of a
1 MB body (measured in-process: 2.1 ms against 0.5 with the heap kept).

glibc raises both thresholds by itself when a large mapped block is freed,
so whether a worker paid this depended on what else it happened to allocate
(pysimdjson's parser buffers, before msgspec replaced it, raised them to
several MB).  Here they are set, once per worker: blocks under 32 MiB come
from the heap, and up to 64 MiB free at its top stay there.  The cost: a
worker's resident memory stays near its high-water mark instead of shrinking
after a burst of large requests.

Not glibc (musl, macOS): nothing is set; their allocators behave otherwise.
"""
import ctypes

M_TRIM_THRESHOLD = -1       # <malloc.h>
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 1024 * 1024       # glibc's largest (HEAP_MAX_SIZE / 2 on 64 bits)
TRIM_THRESHOLD = 64 * 1024 * 1024


def keep_freed_memory(libc=None):
    """Set the thresholds above; whether the C library took them."""
    try:
        mallopt = (libc or ctypes.CDLL(None)).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) \
        and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
