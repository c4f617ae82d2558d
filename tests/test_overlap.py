"""openmrv.overlap.alongside: the step runs during the block, its result and its errors
reach the caller when the block ends."""

from __future__ import annotations

import threading

import pytest

from openmrv.overlap import alongside


def test_step_runs_during_the_block_and_is_done_after_it():
    started, done = threading.Event(), []

    def step(x):
        started.set()
        done.append(x * 2)

    with alongside(step, 21):
        # run one after the other, this wait could never succeed: the step runs only
        # once the block has ended
        assert started.wait(timeout=60)
    assert done == [42]


def test_step_error_is_raised_when_the_block_ends():
    def step():
        raise ValueError("bad draws")

    with pytest.raises(ValueError, match="bad draws"), alongside(step):
        pass


def test_block_error_wins_and_the_step_is_waited_for():
    release, finished = threading.Event(), []

    def step():
        release.wait(timeout=60)
        finished.append(True)

    with pytest.raises(KeyError), alongside(step):
        release.set()
        raise KeyError("stage failed")
    assert finished == [True]
