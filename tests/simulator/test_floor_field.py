"""Floor fields: eikonal travel times and the way downhill."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage
from shapely.geometry import box

from simulator import Simulation, kernels
from simulator.floor_field import FieldStack, FloorField, FloorFieldStore, compute_floor_field


def numpy_downhill(travel: np.ndarray, resolution: float) -> tuple[np.ndarray, np.ndarray]:
    """The descent written with NumPy (central differences, one-sided beside an impassable
    cell or the edge, none between two), the reference for the kernel."""
    finite = np.isfinite(travel)
    slopes = []
    for axis in (1, 0):
        widths = [(1, 1) if a == axis else (0, 0) for a in (0, 1)]
        padded = np.pad(travel, widths, constant_values=np.inf)
        before = np.take(padded, np.arange(travel.shape[axis]), axis=axis)
        after = np.take(padded, np.arange(2, travel.shape[axis] + 2), axis=axis)
        has_before, has_after = np.isfinite(before), np.isfinite(after)
        with np.errstate(invalid="ignore"):
            slopes.append(
                np.select(
                    [has_before & has_after, has_after, has_before],
                    [
                        (after - before) / (2 * resolution),
                        (after - travel) / resolution,
                        (travel - before) / resolution,
                    ],
                    0.0,
                )
            )
    grad_x, grad_y = (np.where(finite, slope, 0.0) for slope in slopes)
    norm = np.hypot(grad_x, grad_y)
    norm[norm == 0] = 1.0
    return np.where(finite, -grad_x / norm, 0.0), np.where(finite, -grad_y / norm, 0.0)


def test_downhill_kernel_matches_the_numpy_reference() -> None:
    rng = np.random.default_rng(3)
    travel = rng.uniform(0, 50, (60, 80))
    travel[rng.uniform(size=travel.shape) < 0.25] = np.inf
    travel[:5, :5] = np.inf  # a block with no finite neighbour inside
    expected_x, expected_y = numpy_downhill(travel, 0.2)
    got_x, got_y = kernels.downhill(travel, 0.2)
    np.testing.assert_allclose(got_x, expected_x, atol=1e-6)
    np.testing.assert_allclose(got_y, expected_y, atol=1e-6)


def test_open_floor_field_is_the_distance_and_points_at_the_target() -> None:
    resolution = 0.1
    walkable = np.ones((100, 100), dtype=bool)
    walkable[[0, -1], :] = walkable[:, [0, -1]] = False  # a 10 m square room
    ys, xs = (np.indices(walkable.shape) + 0.5) * resolution
    distance_to_wall = np.minimum.reduce([xs - 0.1, 9.9 - xs, ys - 0.1, 9.9 - ys]).astype(
        np.float32
    )
    target = np.zeros_like(walkable)
    target[48:52, 88:92] = True  # a target near the east wall
    field = compute_floor_field(walkable, distance_to_wall, target, resolution=resolution)
    # From the room's middle row, far from walls: travel time = straight distance (±2 cells).
    row = 50
    for column in (20, 40, 60):
        assert field.travel_time[row, column] == pytest.approx(
            (88 - column) * resolution, abs=2 * resolution
        )
        assert field.direction_x[row, column] == pytest.approx(1.0, abs=0.02)
    assert not np.isfinite(field.travel_time[0, 0])  # walls
    assert field.direction_x[0, 0] == field.direction_y[0, 0] == 0.0
    # Next to the south wall, the way does not lead into it.
    assert field.direction_y[1, 20] >= 0.0


def _field_of(key: int) -> FloorField:
    """A recognisable 3 x 4 field for key: every value is the key (directions: key and -key)."""
    full = np.full((3, 4), float(key))
    return FloorField(full, full.astype(np.float32), (-full).astype(np.float32))


def test_field_stack_keeps_slots_and_copies_only_new_fields() -> None:
    stack = FieldStack()
    computed: list[int] = []

    def field(key: int) -> FloorField:
        computed.append(key)
        return _field_of(key)

    stack.update([3, 7], field)
    slots = dict(stack.slot_of)
    stack.update([7, 9], field)  # 3 leaves, 9 comes: 7 stays where it was
    assert computed == [3, 7, 9]
    assert stack.slot_of[7] == slots[7]
    assert stack.slot_of[9] == slots[3]  # the freed slot
    stack.update([1, 7, 9, 11, 12], field)  # more than the room: grows, keeps 7 and 9
    assert computed == [3, 7, 9, 1, 11, 12]
    assert set(stack.slot_of) == {1, 7, 9, 11, 12}
    for key, slot in stack.slot_of.items():
        assert np.all(stack.travel_time[slot] == key)
        assert np.all(stack.direction_x[slot] == key)
        assert np.all(stack.direction_y[slot] == -key)
    stack.clear()
    stack.update([7], field)
    assert computed[-1] == 7
    assert np.all(stack.travel_time[stack.slot_of[7]] == 7)


def _room() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A 6 m x 4 m room on a 0.1 m raster with a pillar: walkable, distance to wall, target."""
    walkable = np.ones((40, 60), dtype=bool)
    walkable[[0, -1], :] = walkable[:, [0, -1]] = False
    walkable[15:25, 25:30] = False
    distance = ndimage.distance_transform_edt(walkable).astype(np.float32) * 0.1
    target = np.zeros_like(walkable)
    target[18:22, 55:58] = True
    return walkable, distance, target


def test_a_stored_floor_field_reads_back_bit_for_bit(tmp_path: Path) -> None:
    walkable, distance, target = _room()
    cost = np.ones(walkable.shape, dtype=np.float32)
    cost[5:10, 10:40] = 4.0
    cost[30:35, 10:20] = np.inf
    writer = FloorFieldStore(tmp_path)
    computed = writer.field(walkable, distance, target, resolution=0.1, cost=cost)
    reader = FloorFieldStore(tmp_path)  # as another process would
    read = reader.field(walkable, distance, target, resolution=0.1, cost=cost)
    assert (writer.computed, reader.read, reader.computed) == (1, 1, 0)
    fresh = compute_floor_field(walkable, distance, target, resolution=0.1, cost=cost)
    for field in (computed, read):
        assert np.array_equal(field.travel_time, fresh.travel_time)
        assert np.array_equal(field.direction_x, fresh.direction_x)
        assert np.array_equal(field.direction_y, fresh.direction_y)
    # Another hazard, another field; a damaged file is computed again.
    reader.field(walkable, distance, target, resolution=0.1)
    assert reader.computed == 1
    for stored in tmp_path.glob("*.npy"):
        stored.write_bytes(stored.read_bytes()[:100])
    again = FloorFieldStore(tmp_path)
    assert np.array_equal(
        again.field(walkable, distance, target, resolution=0.1, cost=cost).travel_time,
        fresh.travel_time,
    )
    assert (again.read, again.computed) == (0, 1)


def test_runs_sharing_a_field_store_match_a_run_without(tmp_path: Path) -> None:
    def exit_times(store: FloorFieldStore | None) -> np.ndarray:
        sim = Simulation(
            walkable_area=box(0, 0, 12, 6), exits=[box(11.5, 2, 12, 4)], seed=3, field_store=store
        )
        sim.add_agents(positions=[[1.0 + 0.6 * (k % 10), 1.0 + (k // 10)] for k in range(40)])
        return sim.run(max_time_s=120).exit_times

    store = FloorFieldStore(tmp_path)
    first, second = exit_times(store), exit_times(store)
    assert store.computed >= 1 and store.read == store.computed
    assert np.array_equal(first, exit_times(None))
    assert np.array_equal(second, first)
