"""Reuse of steady states that one inversion solves more than once.

The national inversion evaluates its normal equations twice when there is a transport
error (at x_a, then at the first posterior, :func:`openmrv.estimate.inversion.national.invert`),
each time from the same random stream: the same rose Jacobians, the same days, wind-error
fields and OSSE truth. Their steady states (the transport operator L and the sources S
of L M = −S) are then the same, and solving them again gives the same bytes. Inside
:func:`reusing_steady_states`, :func:`openmrv.estimate.inversion.transport.steady_state`
keeps each result under a digest of (L, S, cells) and returns a copy when the same
operator and sources come again; nothing is reused outside the ``with`` block.

Only results are kept, never LU factors (a factor of the 2,535-cell Turkmenistan
operator holds about 112,000 non-zeros, 1.3 MB; the results of a whole inversion about
40 MB, most of them the eight rose Jacobians).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np
import scipy.sparse as sp

_STORE: ContextVar[dict[bytes, np.ndarray] | None] = ContextVar("steady_states", default=None)


@contextmanager
def reusing_steady_states() -> Iterator[dict[bytes, np.ndarray]]:
    """Within the block, steady states solved again are taken from the first solve.

    Yields the store (digest -> result), for inspection; nested blocks share the
    outermost store."""
    store = _STORE.get()
    if store is not None:
        yield store
        return
    store = {}
    token = _STORE.set(store)
    try:
        yield store
    finally:
        _STORE.reset(token)


def _update(h, a: np.ndarray) -> None:
    a = np.ascontiguousarray(a)
    h.update(f"{a.dtype.str}{a.shape}".encode())
    h.update(a.data)


def digest(mat: sp.spmatrix, source: np.ndarray, cells: np.ndarray | None) -> bytes:
    """BLAKE2b digest of the operator (CSR: shape, index arrays, values), the sources
    and the cells asked for: equal digests mean the same linear system, bit for bit."""
    m = sp.csr_matrix(mat)
    h = hashlib.blake2b(digest_size=32)
    h.update(repr(m.shape).encode())
    for a in (m.indptr, m.indices, m.data, np.asarray(source, float)):
        _update(h, a)
    h.update(b"all" if cells is None else b"cells")
    if cells is not None:
        _update(h, np.asarray(cells, int))
    return h.digest()


def lookup(key: bytes) -> np.ndarray | None:
    """A copy of the stored result for ``key`` inside :func:`reusing_steady_states`, else
    None."""
    store = _STORE.get()
    if store is None or key not in store:
        return None
    return store[key].copy()


def keep(key: bytes, result: np.ndarray) -> None:
    """Store a copy of ``result`` under ``key`` when inside :func:`reusing_steady_states`."""
    store = _STORE.get()
    if store is not None:
        store[key] = np.array(result, copy=True)


def active() -> bool:
    """Whether results are being kept (inside :func:`reusing_steady_states`)."""
    return _STORE.get() is not None
