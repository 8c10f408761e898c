"""Comment ids: time-ordered, unique, and never the same in two processes."""

from __future__ import annotations

import os
import warnings

from hypothesis import given
from hypothesis import strategies as st

from service.comments.ids import COMMENT_ID, created_ms, new_comment_id, shard_of_comment


def test_ids_made_in_the_same_millisecond_are_all_different():
    """More ids than one read of randomness covers, so the refill is crossed too."""
    ids = [new_comment_id(7, 1_790_000_000_000) for _ in range(2_000)]
    assert len(set(ids)) == len(ids)
    assert all(COMMENT_ID.match(i) and shard_of_comment(i) == 7 for i in ids)


@given(st.integers(0, 2**48 - 1), st.integers(0, 2**48 - 1), st.integers(0, 31))
def test_ids_sort_as_their_times_and_carry_time_and_shard(a, b, shard):
    first, second = new_comment_id(shard, a), new_comment_id(shard, b)
    assert (created_ms(first), created_ms(second)) == (a, b)
    assert shard_of_comment(first) == shard
    if a < b:
        assert first < second


def test_a_forked_worker_does_not_repeat_its_parents_ids():
    new_comment_id(1, 1_790_000_000_000)  # the parent has read randomness it has not used up
    read, write = os.pipe()
    with warnings.catch_warnings():  # Python 3.12+ warns of forking beside threads (the log's)
        warnings.simplefilter("ignore", DeprecationWarning)
        child = os.fork()
    if child == 0:  # pragma: no cover (the child)
        try:
            os.write(write, "".join(new_comment_id(1, 1) for _ in range(50)).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        text = pipe.read()
    os.waitpid(child, 0)
    theirs = {text[i : i + 28] for i in range(0, len(text), 28)}
    ours = {new_comment_id(1, 1) for _ in range(50)}
    assert len(theirs) == 50 and not theirs & ours
