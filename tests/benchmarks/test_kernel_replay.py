from __future__ import annotations

import numpy as np

from benchmarks import kernel_replay
from simulator import kernels


def test_replay_repeats_the_captured_steps_velocities_and_puts_the_kernel_back() -> None:
    """The frozen state is the run's own: replayed, the kernel gives the same velocities on every
    call (they are reset before each), and the run's kernel is restored after the capture."""
    original = kernels.chunk_velocities
    state = kernel_replay.benchmark_state(400, 3)
    assert kernels.chunk_velocities is original
    assert state[kernel_replay.ORDERED].size == 400  # everyone still inside the square at step 3
    times = kernel_replay.time_kernel(state, 3)
    velocities = (kernel_replay.OUT_VX, kernel_replay.OUT_VY)
    first = np.stack([state[k].copy() for k in velocities])
    kernel_replay.time_kernel(state, 1)
    np.testing.assert_array_equal(np.stack([state[k] for k in velocities]), first)
    assert len(times) == 3 and all(t > 0.0 for t in times)
    assert np.abs(first).max() > 0.5  # people walk: a real step, not an empty one
