"""Numba kernels of the crowd engine. Arrays and scalars in, arrays out; no Python objects.

Every step is a Jacobi update: new velocities are computed from the old positions of everyone, so
the parallel loops give the same result whatever the number of threads.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

# Numba's OpenMP threads keep spinning for a while after each parallel loop, holding the cores
# that the speed model's Python threads need next (15,000 agents: 4.4·10⁶ against 5.9·10⁶
# agent-steps/s on 2 cores). Read when Numba first starts its threads; a user's setting stands.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import llvmlite.binding
import numba
import numpy as np
import numpy.typing as npt
from llvmlite import ir
from numba import njit, prange, types
from numba.extending import intrinsic

FloatArray = npt.NDArray[np.float64]
# Neighbours one agent remembers between the two passes of the speed model: a 2.4 m reach holds
# about 145 people at 8 persons/m², so 512 is only reached at impossible densities.
_NEIGHBOUR_BUFFER = 512
IntArray = npt.NDArray[np.int64]
# Repulsion between neighbours ends at this many ranges of free distance, shifted to reach zero
# there (exp(-6) = 0.25 % of the contact push): beyond it only the headway needs neighbours.
REPULSION_CUTOFF_RANGES = 6.0
# Who walks beside (for the crowd's time gap, see cfsm_velocities): within this distance ahead or
# behind along one's way, and at least this far to the side, within one's reach (out of one's
# lane: in single file in RiMEA 16's 0.6 m ring the walkers stagger by up to 0.27 m). With this
# many beside, it is a crowd.
BESIDE_ALONG_M = 0.8
BESIDE_ASIDE_M = 0.3
BESIDE_FOR_CROWD = 2
# Samples along a heading when looking for the nearest wall ahead (see wall_headway).
_WALL_TRACE_STEPS = 16
_CORNER_TURNS = (math.pi / 4, -math.pi / 4, math.pi / 2, -math.pi / 2)
_EXP_TAYLOR = tuple(1.0 / math.factorial(k) for k in range(10, -1, -1))  # 1/10!, ..., 1/1!, 1
# The neighbour scan takes this many candidates at once where the processor can store the kept
# ones of a vector in one instruction (AVX-512's compress-store; see scan_lanes), and only along
# rows of cells holding at least _SHORTEST_VECTOR_ROW candidates (shorter rows are faster one by
# one). Without AVX-512 the compiler would emulate the compress-store lane by lane: slower than
# the plain loop, so the scan stays scalar there. Either way the neighbours found are the same.
_LANES = 8
_SHORTEST_VECTOR_ROW = 4
_VECTOR_SCAN = bool(llvmlite.binding.get_host_cpu_features().get("avx512f", False))


@intrinsic
def claim(typingctx: object, counter: types.Array) -> tuple[object, object]:
    """Atomically add 1 to counter[0] (an int64 array) and return the value before: threads
    that count up one counter each get different numbers."""
    signature = types.int64(counter)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        array = context.make_array(sig.args[0])(context, builder, args[0])
        one = context.get_constant(types.int64, 1)
        return builder.atomic_rmw("add", array.data, one, "monotonic")

    return signature, codegen


@intrinsic
def scan_lanes(
    typingctx: object, sx: Any, sy: Any, sr: Any, start: Any, lanes: Any, xi: Any, yi: Any,
    ri: Any, reach_squared: Any, skip: Any, buffer: Any, buffer_dx: Any, buffer_dy: Any,
    buffer_squared: Any, buffer_contact: Any, found: Any,
) -> tuple[object, object]:  # fmt: skip
    """`neighbours_within`'s scan of the `lanes` (1 to _LANES) candidates from `start` at once:
    those within reach (squared distance at most `reach_squared`) other than `skip` are appended
    to the buffers (index, offset, squared distance, sum of radii) at `found`, in order, by
    compress-stores; returns the new count. The same arithmetic as the scalar loop (the squared
    distance as one fused multiply-add). Reads _LANES values from `start` (start + _LANES must
    not pass the arrays' end) and writes up to _LANES from `found` (the buffers must hold them)."""
    signature = types.int64(
        sx, sy, sr, start, lanes, xi, yi, ri, reach_squared, skip, buffer, buffer_dx, buffer_dy,
        buffer_squared, buffer_contact, found,
    )  # fmt: skip

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        # Arrays are read through `address` by their position in args: sx 0, sy 1, sr 2, and the
        # buffers 10-14 (index, offsets x and y, squared distance, sum of radii).
        first, count, x, y, radius, reach_sq, excluded = args[3:10]
        found_before = args[15]
        double, integer = ir.DoubleType(), ir.IntType(64)
        doubles, integers = ir.VectorType(double, _LANES), ir.VectorType(integer, _LANES)
        flags = ir.VectorType(ir.IntType(1), _LANES)

        def address(position: int, at: Any) -> Any:
            """Of element `at` of the array argument at `position`."""
            array = context.make_array(sig.args[position])(context, builder, args[position])
            return builder.gep(array.data, [at], inbounds=True)

        def splat(value: Any, vector: ir.VectorType) -> Any:
            one = builder.insert_element(
                ir.Constant(vector, ir.Undefined), value, ir.IntType(32)(0)
            )
            zeros = ir.Constant(ir.VectorType(ir.IntType(32), _LANES), [0] * _LANES)
            return builder.shuffle_vector(one, ir.Constant(vector, ir.Undefined), zeros)

        def load(position: int) -> Any:
            """_LANES doubles from `first` of the array argument at `position`."""
            pointer = builder.bitcast(address(position, first), doubles.as_pointer())
            return builder.load(pointer, align=8)

        def append(vector: Any, position: int) -> None:
            """The kept lanes of `vector` to the buffer argument at `position`, from `found`."""
            element = vector.type.element
            kind = "f64" if element == double else "i64"
            compress_store = builder.module.declare_intrinsic(
                f"llvm.masked.compressstore.v{_LANES}{kind}",
                fnty=ir.FunctionType(ir.VoidType(), [vector.type, element.as_pointer(), flags]),
            )
            builder.call(compress_store, [vector, address(position, found_before), keep])

        fma = builder.module.declare_intrinsic(
            f"llvm.fma.v{_LANES}f64", fnty=ir.FunctionType(doubles, [doubles] * 3)
        )
        dx = builder.fsub(load(0), splat(x, doubles))
        dy = builder.fsub(load(1), splat(y, doubles))
        squared = builder.call(fma, [dy, dy, builder.fmul(dx, dx)])
        contact = builder.fadd(splat(radius, doubles), load(2))
        lane = ir.Constant(integers, list(range(_LANES)))
        index = builder.add(splat(first, integers), lane)
        keep = builder.and_(
            builder.icmp_signed("<", lane, splat(count, integers)),
            builder.fcmp_ordered("<=", squared, splat(reach_sq, doubles)),
        )
        keep = builder.and_(keep, builder.icmp_signed("!=", index, splat(excluded, integers)))
        for vector, position in ((index, 10), (dx, 11), (dy, 12), (squared, 13), (contact, 14)):
            append(vector, position)
        bits = builder.bitcast(keep, ir.IntType(_LANES))
        population = builder.module.declare_intrinsic("llvm.ctpop", [ir.IntType(_LANES)])
        return builder.add(found_before, builder.zext(builder.call(population, [bits]), integer))

    return signature, codegen


@njit(cache=True, error_model="numpy")
def build_cell_list(
    x: FloatArray,
    y: FloatArray,
    alive: IntArray,
    x_min: float,
    y_min: float,
    cell_size: float,
    columns: int,
    rows: int,
) -> tuple[IntArray, IntArray]:
    """Counting sort of the living agents into a uniform grid of cells, O(N + cells).

    Returns (cell_start, ordered): the agents of cell c are ordered[cell_start[c]:cell_start[c+1]].
    """
    cell_start = np.empty(columns * rows + 1, dtype=np.int64)
    ordered = np.empty(alive.size, dtype=np.int64)
    fill_cell_list(
        x, y, alive, x_min, y_min, cell_size, columns, rows, cell_start,
        np.empty(alive.size, dtype=np.int64), ordered,
    )  # fmt: skip
    return cell_start, ordered


@njit(cache=True, error_model="numpy")
def fill_cell_list(
    x: FloatArray, y: FloatArray, alive: IntArray, x_min: float, y_min: float, cell_size: float,
    columns: int, rows: int, cell_start: IntArray, cell_of: IntArray, ordered: IntArray,
) -> None:  # fmt: skip
    """`build_cell_list` into arrays kept between steps (no allocation per step): cell_start
    needs columns * rows + 1 entries, cell_of and ordered alive.size (longer ones are fine; the
    entries beyond are left as they were)."""
    cells = columns * rows
    cell_start[: cells + 1] = 0
    for k in range(alive.size):
        i = alive[k]
        cx = min(max(int((x[i] - x_min) / cell_size), 0), columns - 1)
        cy = min(max(int((y[i] - y_min) / cell_size), 0), rows - 1)
        cell_of[k] = cy * columns + cx
        cell_start[cell_of[k]] += 1
    for c in range(1, cells):
        cell_start[c] += cell_start[c - 1]  # now the end of cell c
    # Fill each cell from its end, going through the agents backwards: they keep their order
    # within a cell, and every end moves back to its cell's start.
    for k in range(alive.size - 1, -1, -1):
        c = cell_of[k]
        cell_start[c] -= 1
        ordered[cell_start[c]] = alive[k]
    cell_start[cells] = alive.size


@njit(cache=True, inline="always", error_model="numpy")
def unsigned(index: int) -> np.uint64:
    """`index` (>= 0) as an unsigned integer, for indexing in hot loops: Numba wraps a signed
    index that might be negative (i < 0: i + size), three instructions and a register per access
    where the compiler cannot prove the index positive (the neighbour scan's agent indices come
    from the cell list); an unsigned one it takes as it is."""
    return np.uint64(index)


@njit(cache=True, inline="always", error_model="numpy")
def length(x: float, y: float) -> float:
    """The length of the vector (x, y): sqrt(x² + y²), a few cycles, where math.hypot calls the
    C library's overflow-safe hypot, ten times slower (an eighth of the speed model's time went
    there); lengths here are metres and metres per second, nowhere near overflow."""
    return math.sqrt(x * x + y * y)


@njit(cache=True, inline="always", error_model="numpy")
def bilinear_weights(rows: int, columns: int, x: float, y: float, x_min: float, y_min: float,
                     resolution: float) -> tuple[int, int, float, float]:  # fmt: skip
    """For bilinear interpolation at (x, y) of a cell-centred grid of rows x columns: the cell
    (i0, j0) whose centre lies at the lower left and the weights (tx, ty) of the next ones;
    edges are clamped."""
    fx = (x - x_min) / resolution - 0.5
    fy = (y - y_min) / resolution - 0.5
    j0 = min(max(int(math.floor(fx)), 0), columns - 2)
    i0 = min(max(int(math.floor(fy)), 0), rows - 2)
    return i0, j0, min(max(fx - j0, 0.0), 1.0), min(max(fy - i0, 0.0), 1.0)


@njit(cache=True, inline="always", error_model="numpy")
def sample(field: npt.NDArray[np.float32], x: float, y: float, x_min: float, y_min: float,
           resolution: float) -> float:  # fmt: skip
    """Bilinear interpolation of a cell-centred grid field at (x, y); edges are clamped."""
    rows, columns = field.shape
    i0, j0, tx, ty = bilinear_weights(rows, columns, x, y, x_min, y_min, resolution)
    top = field[i0, j0] * (1 - tx) + field[i0, j0 + 1] * tx
    bottom = field[i0 + 1, j0] * (1 - tx) + field[i0 + 1, j0 + 1] * tx
    return float(top * (1 - ty) + bottom * ty)


@njit(cache=True, inline="always", error_model="numpy")
def sample_slot(stack: npt.NDArray[np.float32], slot: int, i0: int, j0: int, tx: float,
                ty: float) -> float:  # fmt: skip
    """`sample` of the field in `slot` of a stack, at the weights from `bilinear_weights`, read
    in place (a view of the slot per agent cost reference counting)."""
    top = stack[slot, i0, j0] * (1 - tx) + stack[slot, i0, j0 + 1] * tx
    bottom = stack[slot, i0 + 1, j0] * (1 - tx) + stack[slot, i0 + 1, j0 + 1] * tx
    return float(top * (1 - ty) + bottom * ty)


@njit(cache=True, inline="always", error_model="numpy")
def cell_value(field: npt.NDArray[np.bool_], x: float, y: float, x_min: float, y_min: float,
               resolution: float) -> bool:  # fmt: skip
    """The value of the cell holding (x, y); False outside the grid."""
    rows, columns = field.shape
    j = int(math.floor((x - x_min) / resolution))
    i = int(math.floor((y - y_min) / resolution))
    if i < 0 or j < 0 or i >= rows or j >= columns:
        return False
    return bool(field[i, j])


@njit(cache=True, inline="always", error_model="numpy")
def desired_direction(direction_x: npt.NDArray[np.float32], direction_y: npt.NDArray[np.float32],
                      slot: int, x: float, y: float, x_min: float, y_min: float,
                      resolution: float) -> tuple[float, float]:  # fmt: skip
    """The unit direction at (x, y) of the floor field in `slot` of the stacks (zero where the
    field has none); one set of weights for both components."""
    _, rows, columns = direction_x.shape
    i0, j0, tx, ty = bilinear_weights(rows, columns, x, y, x_min, y_min, resolution)
    ex = sample_slot(direction_x, slot, i0, j0, tx, ty)
    ey = sample_slot(direction_y, slot, i0, j0, tx, ty)
    norm = length(ex, ey)
    if norm > 1e-9:
        return ex / norm, ey / norm
    return 0.0, 0.0


@njit(cache=True, inline="always", error_model="numpy")
def wall_normal(wall_distance: npt.NDArray[np.float32], x: float, y: float, x_min: float,
                y_min: float, resolution: float) -> tuple[float, float, float]:  # fmt: skip
    """Unit vector away from the nearest wall (the gradient of the distance field; zero if
    flat) and the field's slope there: 1 on a wall's side, less on a ridge between two walls
    (the middle of a narrow passage, where the nearest wall changes side), where the central
    differences over one cell to either side cancel in part. Within a cell of a wall the
    differences reach into the walls' flat cells and the slope falls too."""
    h = resolution
    gx = sample(wall_distance, x + h, y, x_min, y_min, resolution) - sample(
        wall_distance, x - h, y, x_min, y_min, resolution
    )
    gy = sample(wall_distance, x, y + h, x_min, y_min, resolution) - sample(
        wall_distance, x, y - h, x_min, y_min, resolution
    )
    g = length(gx, gy)
    if g > 1e-9:
        return gx / g, gy / g, g / (2.0 * h)
    return 0.0, 0.0, 0.0


@njit(cache=True, inline="always", error_model="numpy")
def ridge_fade(clearance: float, radius: float, slope: float, felt_within: float,
               resolution: float) -> float:  # fmt: skip
    """The factor on a wall's push along `wall_normal`: its slope where the push is felt (the
    body's free distance, `clearance` - `radius`, under `felt_within`) and the slope is
    measured clear of the walls' cells (`clearance` above 1.5 cells), else 1.

    On a ridge between two walls (a narrow passage's middle, the axis of a narrow door's mouth)
    the nearest wall changes side and the two pushes cancel in part; the unit normal instead
    flips its full size across the middle with every millimetre, or, in a door's mouth, turns
    the corners' sideways pushes, which cancel, into one straight back. Scaled by the slope the
    push fades there as the pushes' sum does. The condition cannot hold where 1.5 cells reach
    beyond `radius` + `felt_within`: for the speed model (0.1 m) on rasters of 0.2 m and more,
    for the social force model (0.4 m) on the city's 0.5 m (radii up to 0.2 m): nothing changes
    on the city's rasters."""
    if clearance - radius < felt_within and clearance > 1.5 * resolution:
        return min(slope, 1.0)
    return 1.0


@njit(cache=True, inline="always", error_model="numpy")
def cell_float(stack: npt.NDArray[np.float32], slot: int, x: float, y: float, x_min: float,
               y_min: float, resolution: float) -> float:  # fmt: skip
    """The value of the cell holding (x, y) (clamped to the grid) in `slot` of a stack of
    fields."""
    _, rows, columns = stack.shape
    j = min(max(int(math.floor((x - x_min) / resolution)), 0), columns - 1)
    i = min(max(int(math.floor((y - y_min) / resolution)), 0), rows - 1)
    return float(stack[slot, i, j])


@njit(cache=True, inline="always", error_model="numpy")
def wall_headway(wall_distance: npt.NDArray[np.float32], x: float, y: float, radius: float,
                 start: float, ex: float, ey: float, limit: float, x_min: float, y_min: float,
                 resolution: float) -> float:  # fmt: skip
    """How far a body of `radius` at (x, y), `start` metres clear of the nearest wall (the
    distance field there minus the radius), can go along the unit heading (ex, ey) before it
    touches a wall, up to `limit`: sphere tracing on the distance field (steps of the clearance,
    at least half a cell). A body already touching counts as hitting only if it goes deeper, so
    sliding along a wall is free."""
    if start >= limit:
        return limit
    hit = min(start, 0.0) - 0.01
    t = 0.0
    for _ in range(_WALL_TRACE_STEPS):
        gap = sample(wall_distance, x + t * ex, y + t * ey, x_min, y_min, resolution) - radius
        if gap < hit:
            return t
        t += max(gap - hit, 0.5 * resolution)
        if t >= limit:
            return limit
    return limit


@njit(cache=True, inline="always", fastmath=True, error_model="numpy")
def repulsion_exp(x: float) -> float:
    """exp(x) for -40 <= x <= 12 (clamped to it), relative error below 3e-5 (below 1e-9 for
    |x| <= 10): a Taylor polynomial at x / 32, squared five times. No library call, so that the
    repulsion loop vectorises."""
    z = min(max(x, -40.0), 12.0) * 0.03125
    p = 0.0
    for coefficient in _EXP_TAYLOR:
        p = p * z + coefficient
    for _ in range(5):
        p *= p
    return p


@njit(cache=True, inline="always", error_model="numpy")
def neighbours_within(
    xi: float, yi: float, k: int, reach: float, sx: FloatArray, sy: FloatArray, sr: FloatArray,
    ri: float, cell_start: IntArray, cell_x_min: float, cell_y_min: float, cell_size: float,
    cell_columns: int, cell_rows: int, buffer: IntArray, buffer_dx: FloatArray,
    buffer_dy: FloatArray, buffer_squared: FloatArray, buffer_contact: FloatArray,
) -> int:  # fmt: skip
    """Everyone but k (in cell order) within `reach` of (xi, yi), written to the buffers (index,
    offset, squared distance, sum of radii) in cell order; returns how many (at most the buffers'
    length less one). Searches the cells that the square around the circle of reach touches,
    along each row of cells _LANES candidates at once where it pays (see _VECTOR_SCAN), else one
    by one without branching: a candidate is written in any case and kept by advancing the
    count."""
    reach_squared = reach * reach
    last = buffer.size - 1
    x_lo = min(max(int((xi - reach - cell_x_min) / cell_size), 0), cell_columns - 1)
    x_hi = min(max(int((xi + reach - cell_x_min) / cell_size), 0), cell_columns - 1) + 1
    y_lo = min(max(int((yi - reach - cell_y_min) / cell_size), 0), cell_rows - 1)
    y_hi = min(max(int((yi + reach - cell_y_min) / cell_size), 0), cell_rows - 1) + 1
    found = 0
    for ny in range(y_lo, y_hi):
        row = ny * cell_columns
        m = cell_start[row + x_lo]
        end = cell_start[row + x_hi]
        while m < end:
            if (
                _VECTOR_SCAN and end - m >= _SHORTEST_VECTOR_ROW and m + _LANES <= sx.size
                and found + _LANES < last
            ):  # fmt: skip
                found = scan_lanes(  # type: ignore[call-arg]  # Numba adds the context
                    sx, sy, sr, m, min(_LANES, end - m), xi, yi, ri, reach_squared, k, buffer,
                    buffer_dx, buffer_dy, buffer_squared, buffer_contact, found,
                )  # fmt: skip
                m += _LANES
                continue
            at, to = unsigned(m), unsigned(found)
            dx = sx[at] - xi
            dy = sy[at] - yi
            squared = dx * dx + dy * dy
            buffer[to] = m
            buffer_dx[to] = dx
            buffer_dy[to] = dy
            buffer_squared[to] = squared
            buffer_contact[to] = ri + sr[at]
            found += int((squared <= reach_squared) & (m != k) & (found < last))
            m += 1
    return found


@njit(cache=True, inline="always", error_model="numpy")
def count_beside(found: int, buffer_dx: FloatArray, buffer_dy: FloatArray, desired_x: float,
                 desired_y: float) -> int:  # fmt: skip
    """How many of the `found` neighbours walk beside one heading (desired_x, desired_y):
    within BESIDE_ALONG_M ahead or behind, at least BESIDE_ASIDE_M to the side."""
    beside = 0
    for b in range(found):
        along = buffer_dx[b] * desired_x + buffer_dy[b] * desired_y
        aside = buffer_dx[b] * desired_y - buffer_dy[b] * desired_x
        beside += int((abs(along) < BESIDE_ALONG_M) & (abs(aside) >= BESIDE_ASIDE_M))
    return beside


def cfsm_velocities(
    x: FloatArray, y: FloatArray, radius: FloatArray, desired_speed: FloatArray, field_of: IntArray,
    cell_start: IntArray, ordered: IntArray, cell_x_min: float, cell_y_min: float,
    cell_size: float, cell_columns: int, cell_rows: int,
    direction_x: npt.NDArray[np.float32], direction_y: npt.NDArray[np.float32],
    travel_time: npt.NDArray[np.float32],
    wall_distance: npt.NDArray[np.float32], grid_x_min: float, grid_y_min: float,
    resolution: float, time_gap: float, crowd_time_gap: float, neighbour_strength: float,
    neighbour_range: float, wall_strength: float, wall_range: float, evasion_strength: float,
    evasion_range: float, turn_fraction: float, overtake_angle: float, out_vx: FloatArray,
    out_vy: FloatArray, chunk_count: int,
    gathered: FloatArray, gathered_field: IntArray, crowd_state: FloatArray, crowd_release: float,
) -> None:  # fmt: skip
    """Collision-free speed model (Tordeux, Chraibi & Seyfried 2016).

    Direction: the floor field's direction plus exponential repulsion from neighbours (cut off
    at REPULSION_CUTOFF_RANGES ranges of free distance, shifted to end at zero) and walls
    (fading on a ridge between two walls, where their pushes cancel),
    normalised, then turned from last step's heading by `turn_fraction` = 1 - exp(-dt/tau)
    toward it (1: at once, the original model). Speed: min(v0, max(0, s / T)), s the free
    distance to the nearest agent ahead within a lane as wide as the two bodies, or to the
    nearest wall ahead.
    Each agent looks only as far as matters to it: its headway v0·T or the repulsion's cutoff,
    plus the two bodies, so neighbours are searched in as many cells as that takes: first as far
    as the crowd's gap needs, and again as far as the longer gap needs only by those with fewer
    than BESIDE_FOR_CROWD people beside within that (in dense crowds, most people, the search
    covers a third of the area; speed, repulsion and T come out the same).

    The time gap T (our addition): `time_gap` in single file, `crowd_time_gap` for someone with
    BESIDE_FOR_CROWD or more people walking beside (BESIDE_ALONG_M, BESIDE_ASIDE_M), linear in
    between. In a crowd the lanes interleave and people close up behind the one ahead; in single
    file they keep about a second (Seyfried et al. 2005). One T cannot fit both: 0.35 s makes
    RiMEA 16's single file about twice too fast, 1 s passes a third too few through bottlenecks.
    Equal values: the published model. Who leaves a crowd keeps its gap for a while: the crowd
    share (beside / BESIDE_FOR_CROWD, at most 1) is at least the one of the last step less
    `crowd_release` (dt over the memory time), kept per agent in `crowd_state` (indexed by id;
    0 for newcomers). Without this memory whoever stepped out of the crowd into a narrow door's
    passage, with nobody beside any more, fell back to the single file's second there and held
    up everyone behind (Wuppertal's 0.5 m entrance passed 15 % too few).

    Evasion (our addition, for counterflow): someone coming the other way ahead, within
    `evasion_range`, one's search reach and one's lane, makes one step aside, by
    `evasion_strength` at contact falling linearly to 0 at the range: away from them, or to the
    right when they come head-on.
    Lanes form as they do in bidirectional experiments.

    Overtaking (our addition, see `overtake`): someone with fewer than BESIDE_FOR_CROWD beside
    (anyone, when the two time gaps are equal), held up by a slower walker ahead who walks the
    same way, takes a heading up to twice `overtake_angle` (radians; below 1e-6: never) to a
    side if it gains ground along the way.

    `out_vx`, `out_vy` must hold the last step's velocities on entry, the moves actually made
    (read to tell who is oncoming, how fast the one ahead walks and which heading to turn from).
    `gathered` (5 rows) and `gathered_field` are work space kept between steps, at least as long
    as `ordered`.

    The agents are cut into `chunk_count` chunks of consecutive cells, which as many Python
    threads as Numba's thread count work through (the chunk kernel releases the GIL), each
    taking the next chunk not yet taken when it is free: on this shared machine one core often
    runs a third slower than the other, and fixed shares kept the faster one waiting. Chunks
    share no state: the result is the same for any number of threads. Not a Numba parallel
    loop: Numba 0.68 compiles fast-math code in a parallel loop differently when it loads it
    from its cache than when it compiles it afresh (the velocities' last bits differed), so the
    first run after a change did not repeat; serial code is the same either way. The price is a
    hand-over between threads every step (0.1-0.2 ms here), which small crowds feel most.
    """
    n = ordered.size
    if n == 0:
        return
    largest_radius = gather_in_cell_order(
        x, y, radius, field_of, out_vx, out_vy, ordered, gathered, gathered_field
    )
    chunks = min(n, chunk_count)
    per_chunk = (n + chunks - 1) // chunks
    threads = min(numba.get_num_threads(), chunks)
    turns = overtaking_turns(overtake_angle)
    next_chunk = np.zeros(1, dtype=np.int64)

    def work() -> None:
        chunk_velocities(
            next_chunk, per_chunk, ordered, desired_speed, gathered[:, :n],
            gathered_field[:n], cell_start, cell_x_min, cell_y_min, cell_size, cell_columns,
            cell_rows, direction_x, direction_y, travel_time, wall_distance, grid_x_min, grid_y_min,
            resolution, time_gap, crowd_time_gap, neighbour_strength, neighbour_range,
            wall_strength, wall_range, evasion_strength, evasion_range, turn_fraction,
            overtake_angle, turns, largest_radius, out_vx, out_vy,
            np.empty(_NEIGHBOUR_BUFFER, dtype=np.int64), np.empty((4, _NEIGHBOUR_BUFFER)),
            crowd_state, crowd_release,
        )  # fmt: skip

    others = [_thread_pool(threads - 1).submit(work) for _ in range(1, threads)]
    work()
    for other in others:
        other.result()


_POOLS: dict[int, ThreadPoolExecutor] = {}


def _thread_pool(threads: int) -> ThreadPoolExecutor:
    """A pool of `threads` Python threads, kept for the next step."""
    if threads not in _POOLS:
        _POOLS[threads] = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="evac-kernel")
    return _POOLS[threads]


@njit(cache=True, error_model="numpy")
def gather_in_cell_order(
    x: FloatArray, y: FloatArray, radius: FloatArray, field_of: IntArray, vx: FloatArray,
    vy: FloatArray, ordered: IntArray, gathered: FloatArray, gathered_field: IntArray,
) -> float:  # fmt: skip
    """Copy the agents' state into cell order, so that neighbour loops read contiguous memory:
    rows x, y, radius, vx, vy; the field in `gathered_field`. Returns the largest radius
    (`ordered` must not be empty: cfsm_velocities returns before for no agent)."""
    n = ordered.size
    for m in range(n):  # serial: a Numba parallel loop here costs more than it saves
        i = ordered[m]
        gathered[0, m] = x[i]
        gathered[1, m] = y[i]
        gathered[2, m] = radius[i]
        gathered[3, m] = vx[i]
        gathered[4, m] = vy[i]
        gathered_field[m] = field_of[i]
    return float(gathered[2, :n].max())


@njit(cache=True, inline="always", error_model="numpy")
def in_lane_ahead(dx: float, dy: float, hx: float, hy: float, contact: float) -> bool:
    """Whether a neighbour at offset (dx, dy) stands ahead along the unit heading (hx, hy) and
    within its lane: closer to the line of the heading than `contact`, the two bodies' radii
    (Tordeux et al.'s headway counts only those)."""
    return (dx * hx + dy * hy > 0.0) & (abs(dx * hy - dy * hx) < contact)


@njit(cache=True, inline="always", error_model="numpy")
def free_along(
    hx: float, hy: float, found: int, buffer_dx: FloatArray, buffer_dy: FloatArray,
    buffer_distance: FloatArray, buffer_contact: FloatArray, xi: float, yi: float, ri: float,
    clearance: float, headway: float, reach: float, wall_distance: npt.NDArray[np.float32],
    grid_x_min: float, grid_y_min: float, resolution: float,
) -> float:  # fmt: skip
    """The free distance along the unit heading (hx, hy) (Tordeux et al.'s headway): to the
    nearest of the `found` neighbours in a lane as wide as the two bodies, or to the wall ahead
    (our addition), at most `reach` (to within a rounding of `reach`). Branch-free over the
    neighbours."""
    free = reach
    if clearance - ri < headway:
        free = wall_headway(
            wall_distance, xi, yi, ri, clearance - ri, hx, hy, headway, grid_x_min, grid_y_min,
            resolution,
        )  # fmt: skip
    for b in range(found):
        dx = buffer_dx[b]
        dy = buffer_dy[b]
        contact = buffer_contact[b]
        # 1.0 if in the lane ahead, else 0.0: arithmetic, not a branch (which one is data the
        # processor cannot predict: the branches cost a sixth of the kernel in dense crowds).
        blocking = 1.0 * in_lane_ahead(dx, dy, hx, hy, contact)
        free = min(free, reach + (buffer_distance[b] - contact - reach) * blocking)
    return free


@njit(cache=True, inline="always", error_model="numpy")
def overtake(
    xi: float, yi: float, found: int, buffer: IntArray, buffer_dx: FloatArray,
    buffer_dy: FloatArray, buffer_distance: FloatArray, buffer_contact: FloatArray,
    svx: FloatArray, svy: FloatArray,
    ex: float, ey: float, speed: float, free: float, desired_x: float, desired_y: float,
    desired_speed: float, ri: float, clearance: float, headway: float, reach: float,
    time_gap: float, turns: npt.NDArray[np.float64], wall_distance: npt.NDArray[np.float32],
    grid_x_min: float, grid_y_min: float, resolution: float,
) -> tuple[float, float, float]:  # fmt: skip
    """Pass a slower walker ahead (our addition): someone held up by a person ahead who walks
    the same way, slower than one wants to, tries the headings `turns` (rows of cosine and sine
    of the turn from the desired direction, > 0 to the left: see `overtaking_turns`) and takes
    the one that gains most ground along the desired direction, if it gains a tenth more than
    the heading it had. Returns the heading and speed (unchanged if nothing is better)."""
    # Who holds one up: the nearest in the lane ahead.
    blocker = -1
    for b in range(found):
        dx = buffer_dx[b]
        dy = buffer_dy[b]
        contact = buffer_contact[b]
        if in_lane_ahead(dx, dy, ex, ey, contact) and buffer_distance[b] - contact <= free + 1e-12:
            blocker = b
            break
    if blocker < 0:
        return ex, ey, speed  # held up by a wall
    m = buffer[blocker]
    theirs = svx[m] * desired_x + svy[m] * desired_y
    if theirs <= 0.3 or theirs >= 0.9 * desired_speed:
        return ex, ey, speed  # standing in a queue, or walking as fast as one wants
    best_gain = 1.1 * speed * (ex * desired_x + ey * desired_y)
    best_x, best_y, best_speed = ex, ey, speed
    for t in range(turns.shape[0]):
        c, s = turns[t, 0], turns[t, 1]
        cx = desired_x * c - desired_y * s  # s > 0: to the left
        cy = desired_x * s + desired_y * c
        room = free_along(
            cx, cy, found, buffer_dx, buffer_dy, buffer_distance, buffer_contact, xi, yi, ri,
            clearance, headway, reach, wall_distance, grid_x_min, grid_y_min, resolution,
        )  # fmt: skip
        candidate = min(desired_speed, max(0.0, room / time_gap))
        if candidate * c > best_gain:
            best_gain = candidate * c
            best_x, best_y, best_speed = cx, cy, candidate
    return best_x, best_y, best_speed


@njit(cache=True, error_model="numpy")
def overtaking_turns(angle: float) -> npt.NDArray[np.float64]:
    """Cosine and sine of the headings `overtake` tries: `angle` and twice that, to the left
    first, then to the right."""
    turns = np.empty((4, 2))
    for t, turn in enumerate((angle, -angle, 2.0 * angle, -2.0 * angle)):
        turns[t, 0] = math.cos(turn)
        turns[t, 1] = math.sin(turn)
    return turns


# Without Numba's reference counting (_nrt, not in Numba's type stubs): the chunk kernel
# allocates nothing (the buffers come in), and the counting's atomic increments and decrements,
# on arrays handed between the inlined helpers, took a fifth of its time.
_WITHOUT_REFERENCE_COUNTING: dict[str, Any] = {"_nrt": False}


@njit(  # type: ignore[untyped-decorator]  # the stubs know no _nrt
    cache=True,
    nogil=True,
    fastmath={"reassoc", "contract", "arcp", "nsz"},
    error_model="numpy",
    **_WITHOUT_REFERENCE_COUNTING,
)
def chunk_velocities(
    next_chunk: IntArray, per_chunk: int, ordered: IntArray, desired_speed: FloatArray,
    gathered: FloatArray, sf: IntArray, cell_start: IntArray, cell_x_min: float,
    cell_y_min: float, cell_size: float, cell_columns: int, cell_rows: int,
    direction_x: npt.NDArray[np.float32], direction_y: npt.NDArray[np.float32],
    travel_time: npt.NDArray[np.float32], wall_distance: npt.NDArray[np.float32],
    grid_x_min: float, grid_y_min: float, resolution: float, time_gap: float,
    crowd_time_gap: float, neighbour_strength: float, neighbour_range: float,
    wall_strength: float, wall_range: float,
    evasion_strength: float, evasion_range: float, turn_fraction: float, overtake_angle: float,
    turns: FloatArray, largest_radius: float, out_vx: FloatArray, out_vy: FloatArray,
    buffer: IntArray, buffer_values: FloatArray, crowd_state: FloatArray, crowd_release: float,
) -> None:  # fmt: skip
    """`cfsm_velocities` for chunks of `per_chunk` agents of `ordered`, each taken by counting
    up `next_chunk[0]` (shared by the threads: whoever is free takes the next chunk), from the
    state gathered in cell order (see `gather_in_cell_order`; sf: the field of each). `turns`:
    see `overtaking_turns`; `buffer` and the 4 rows of `buffer_values`: work space for the
    neighbours of one agent (_NEIGHBOUR_BUFFER long); `crowd_state`, `crowd_release`: see
    `cfsm_velocities`."""
    push_reach = REPULSION_CUTOFF_RANGES * neighbour_range
    push_floor = math.exp(-REPULSION_CUTOFF_RANGES)
    inverse_range = 1.0 / neighbour_range
    sx = gathered[0]
    sy = gathered[1]
    sr = gathered[2]
    svx = gathered[3]
    svy = gathered[4]
    buffer_dx = buffer_values[0]
    buffer_dy = buffer_values[1]
    buffer_distance = buffer_values[2]
    buffer_contact = buffer_values[3]
    longest_time_gap = max(time_gap, crowd_time_gap)
    two_stage = crowd_time_gap < time_gap
    n = ordered.size
    while True:
        start = claim(next_chunk) * per_chunk  # type: ignore[call-arg]  # Numba adds the context
        if start >= n:
            return
        for k in range(start, min(n, start + per_chunk)):
            i = ordered[k]
            at, who = unsigned(k), unsigned(i)  # indexing without wrap-around (see unsigned)
            if desired_speed[who] <= 0.0:
                # Still in the pre-movement time: stands (others still see and avoid them).
                out_vx[who] = 0.0
                out_vy[who] = 0.0
                continue
            xi, yi, ri = sx[at], sy[at], sr[at]
            ex, ey = desired_direction(
                direction_x, direction_y, sf[at], xi, yi, grid_x_min, grid_y_min, resolution
            )
            desired_x, desired_y = ex, ey
            # Who is beside decides the time gap, and the gap how far one must look. Search
            # first as far as the crowd's gap needs: with enough people beside within it (they
            # are beside within any larger reach too) one is in a crowd and it is far enough;
            # only the others search again as far as the single-file gap needs.
            headway = desired_speed[who] * (crowd_time_gap if two_stage else longest_time_gap)
            reach = max(headway, push_reach) + ri + largest_radius + 0.01
            found = neighbours_within(
                xi, yi, k, reach, sx, sy, sr, ri, cell_start, cell_x_min, cell_y_min, cell_size,
                cell_columns, cell_rows, buffer, buffer_dx, buffer_dy, buffer_distance,
                buffer_contact,
            )  # fmt: skip
            own_time_gap = time_gap
            crowd = 0.0
            if crowd_time_gap != time_gap:
                beside = count_beside(found, buffer_dx, buffer_dy, desired_x, desired_y)
                if two_stage and beside < BESIDE_FOR_CROWD:
                    headway = desired_speed[who] * longest_time_gap
                    reach = max(headway, push_reach) + ri + largest_radius + 0.01
                    found = neighbours_within(
                        xi, yi, k, reach, sx, sy, sr, ri, cell_start, cell_x_min, cell_y_min,
                        cell_size, cell_columns, cell_rows, buffer, buffer_dx, buffer_dy,
                        buffer_distance, buffer_contact,
                    )  # fmt: skip
                    beside = count_beside(found, buffer_dx, buffer_dy, desired_x, desired_y)
                # The crowd's gap is kept for a while after the crowd round one thins: without
                # this, whoever stepped out of the crowd into a door's passage fell back to the
                # single file's gap there (see cfsm_velocities).
                crowd = max(min(1.0, beside / BESIDE_FOR_CROWD), crowd_state[who] - crowd_release)
                crowd_state[who] = crowd
                own_time_gap = time_gap + (crowd_time_gap - time_gap) * crowd
            # Repulsion, without branches so that the loop vectorises.
            push_x = 0.0
            push_y = 0.0
            for b in range(found):
                distance = math.sqrt(buffer_distance[b])
                buffer_distance[b] = distance
                gap = distance - buffer_contact[b]
                push = (repulsion_exp(-gap * inverse_range) - push_floor) / max(distance, 1e-9)
                push = push if (gap <= push_reach) & (distance > 1e-9) else 0.0
                push_x += push * buffer_dx[b]
                push_y += push * buffer_dy[b]
            ex -= neighbour_strength * push_x
            ey -= neighbour_strength * push_y
            # Evasion of those coming the other way (rare: its own loop).
            for b in range(found):
                m = unsigned(buffer[b])
                if svx[m] * desired_x + svy[m] * desired_y < -0.1:
                    dx = buffer_dx[b]
                    dy = buffer_dy[b]
                    contact = buffer_contact[b]
                    ahead = dx * desired_x + dy * desired_y
                    lateral = dx * desired_y - dy * desired_x  # > 0: on one's right
                    if 0.0 < ahead < evasion_range and abs(lateral) < contact + 0.2:
                        gap = buffer_distance[b] - contact
                        weight = evasion_strength * (1.0 - max(gap, 0.0) / evasion_range)
                        if weight > 0.0:
                            side = -1.0 if lateral > 0.05 else 1.0  # 1: step right
                            ex += side * weight * desired_y
                            ey -= side * weight * desired_x
            clearance = sample(wall_distance, xi, yi, grid_x_min, grid_y_min, resolution)
            if clearance < ri + 5 * wall_range + resolution:
                wx, wy, slope = wall_normal(
                    wall_distance, xi, yi, grid_x_min, grid_y_min, resolution
                )
                push = wall_strength * math.exp((ri - clearance) / wall_range)
                # Without the fade walkers zig-zagged through passages narrower than about
                # 0.55 m, and the wall ahead cut every other step to a third.
                push *= ridge_fade(clearance, ri, slope, 5 * wall_range, resolution)
                ex += push * wx
                ey += push * wy
            norm = length(ex, ey)
            if norm > 1e-9:
                ex /= norm
                ey /= norm
            # Turning takes time (the direction's relaxation of Xu et al. 2019): a walker turns
            # from the heading of its last move by the fraction 1 - exp(-dt/tau) toward the new
            # one. Without it, people at a narrow door's jambs swing back and forth at full
            # speed, one step into the corner, the next pushed out, and can block the door for
            # good.
            previous = length(svx[at], svy[at])
            if previous > 1e-9 and turn_fraction < 1.0:
                tx = svx[at] / previous
                ty = svy[at] / previous
                walking = previous > 0.5 * desired_speed[who]
                if walking and tx * desired_x + ty * desired_y < -0.99:
                    # The way now lies behind (a closure, a new target): turn round through the
                    # side it lies on, the right when straight behind (aim sideways first).
                    # Blending two opposite headings would only shorten the heading: in a
                    # symmetric field nobody would turn round. Not for someone the crowd pushed
                    # back (a slow last move): turned aside at every push, a crowd pressing to
                    # a door drifted to its right, the more so the shorter the time step.
                    if tx * desired_y - ty * desired_x > 0.0:
                        ex, ey = -ty, tx
                    else:
                        ex, ey = ty, -tx
                tx += (ex - tx) * turn_fraction
                ty += (ey - ty) * turn_fraction
                turned = length(tx, ty)
                if turned > 1e-9:
                    ex = tx / turned
                    ey = ty / turned
            # Headway along the direction actually taken (Tordeux et al.): the free
            # distance to the nearest agent ahead within a lane as wide as the two bodies, or
            # to the wall ahead (our addition: without it a heading into a wall keeps full
            # speed, and a single file in a narrow ring zig-zagged between its walls and jammed).
            free = free_along(
                ex, ey, found, buffer_dx, buffer_dy, buffer_distance, buffer_contact, xi, yi, ri,
                clearance, headway, reach, wall_distance, grid_x_min, grid_y_min, resolution,
            )  # fmt: skip
            speed = min(desired_speed[who], max(0.0, free / own_time_gap))
            if crowd < 1.0 and speed < 0.9 * desired_speed[who] and overtake_angle > 1e-6:
                ex, ey, speed = overtake(
                    xi, yi, found, buffer, buffer_dx, buffer_dy, buffer_distance, buffer_contact,
                    svx, svy, ex, ey, speed, free, desired_x, desired_y, desired_speed[who], ri,
                    clearance, headway, reach, own_time_gap, turns, wall_distance,
                    grid_x_min, grid_y_min, resolution,
                )  # fmt: skip
            if speed < 0.05 * desired_speed[who]:
                # Pressed sideways against someone (or a wall): if the way ahead along the
                # desired direction is open, take it. Without this, two side by side at a narrow
                # door block each other for good. In the way along the desired direction is who
                # is in the lane there, unless further from the goal than i (on the same field):
                # the one nearer the door goes first (ties: lower id).
                free_desired = reach
                if clearance - ri < headway:
                    free_desired = wall_headway(
                        wall_distance, xi, yi, ri, clearance - ri, desired_x, desired_y, headway,
                        grid_x_min, grid_y_min, resolution,
                    )  # fmt: skip
                own_remaining = cell_float(
                    travel_time, sf[at], xi, yi, grid_x_min, grid_y_min, resolution
                )
                for b in range(found):
                    m = unsigned(buffer[b])
                    dx = buffer_dx[b]
                    dy = buffer_dy[b]
                    contact = buffer_contact[b]
                    if in_lane_ahead(dx, dy, desired_x, desired_y, contact):
                        queued_behind = False
                        if sf[m] == sf[at]:
                            remaining = cell_float(
                                travel_time, sf[m], sx[m], sy[m], grid_x_min, grid_y_min,
                                resolution,
                            )  # fmt: skip
                            queued_behind = remaining > own_remaining or (
                                remaining == own_remaining and ordered[m] > i
                            )
                        if not queued_behind:
                            free_desired = min(free_desired, buffer_distance[b] - contact)
                if free_desired > free:
                    ex, ey = desired_x, desired_y
                    speed = min(desired_speed[who], max(0.0, free_desired / own_time_gap))
            if speed == 0.0:
                # Bodies overlap (discrete time, walls): step apart, away from the overlapping
                # neighbours, instead of freezing; frozen overlaps deadlock the plain model.
                overlapped = False
                away_x = 0.0
                away_y = 0.0
                for b in range(found):
                    distance = buffer_distance[b]
                    if distance < buffer_contact[b] and distance > 1e-9:
                        overlapped = True
                        away_x -= buffer_dx[b] / distance
                        away_y -= buffer_dy[b] / distance
                away = length(away_x, away_y)
                if overlapped and away > 1e-9:
                    ex = away_x / away
                    ey = away_y / away
                    speed = 0.1 * desired_speed[who]
            out_vx[who] = ex * speed
            out_vy[who] = ey * speed


@njit(cache=True, inline="always", error_model="numpy")
def segment_clear(walkable: npt.NDArray[np.bool_], closed: npt.NDArray[np.bool_], x0: float,
                  y0: float, x1: float, y1: float, x_min: float, y_min: float,
                  resolution: float) -> bool:  # fmt: skip
    """Whether every point of the segment, sampled every half cell, lies in a walkable cell, and
    in an open one unless the move starts in a closed area (people leave a closed area; nobody
    enters it)."""
    inside_closed = cell_value(closed, x0, y0, x_min, y_min, resolution)
    steps = int(math.ceil(length(x1 - x0, y1 - y0) / (0.5 * resolution)))
    start_column = int(math.floor((x0 - x_min) / resolution))
    start_row = int(math.floor((y0 - y_min) / resolution))
    for s in range(1, steps + 1):
        t = s / steps
        px = x0 + t * (x1 - x0)
        py = y0 + t * (y1 - y0)
        # The cell one stands in never blocks: someone placed close to a wall can step away.
        column = int(math.floor((px - x_min) / resolution))
        row = int(math.floor((py - y_min) / resolution))
        if column == start_column and row == start_row:
            continue
        if not cell_value(walkable, px, py, x_min, y_min, resolution):
            return False
        if not inside_closed and cell_value(closed, px, py, x_min, y_min, resolution):
            return False
    return True


@njit(cache=True, parallel=True, error_model="numpy")
def advance(
    x: FloatArray, y: FloatArray, vx: FloatArray, vy: FloatArray, alive: IntArray,
    walkable: npt.NDArray[np.bool_], closed: npt.NDArray[np.bool_], grid_x_min: float,
    grid_y_min: float, resolution: float, dt: float, out_x: FloatArray, out_y: FloatArray,
    walked: FloatArray, keep_moves: bool,
) -> None:  # fmt: skip
    """Move every agent by v·dt, never into or through a wall: a blocked move slides along the
    wall or stops. The hard constraint reads the raster: an agent's centre stays in walkable cells
    along the whole move, and out of closed cells unless it stands in one already. Each agent's
    distance moved is added to `walked`; with `keep_moves` its velocity becomes the move made / dt.
    """
    for k in prange(alive.size):
        i = alive[k]
        x0, y0 = x[i], y[i]
        dx, dy = vx[i] * dt, vy[i] * dt
        out_x[i], out_y[i] = x0, y0
        if dx == 0.0 and dy == 0.0:
            continue
        if segment_clear(
            walkable, closed, x0, y0, x0 + dx, y0 + dy, grid_x_min, grid_y_min, resolution
        ):
            out_x[i], out_y[i] = x0 + dx, y0 + dy
        elif segment_clear(
            walkable, closed, x0, y0, x0 + dx, y0, grid_x_min, grid_y_min, resolution
        ):
            out_x[i] = x0 + dx
        elif segment_clear(
            walkable, closed, x0, y0, x0, y0 + dy, grid_x_min, grid_y_min, resolution
        ):
            out_y[i] = y0 + dy
        else:
            # Wedged in a corner: the same step turned 45° then 90° either way, if one is free.
            for turn in _CORNER_TURNS:
                c, s_ = math.cos(turn), math.sin(turn)
                tx, ty = dx * c - dy * s_, dx * s_ + dy * c
                if segment_clear(
                    walkable,
                    closed,
                    x0,
                    y0,
                    x0 + tx,
                    y0 + ty,
                    grid_x_min,
                    grid_y_min,
                    resolution,
                ):
                    out_x[i], out_y[i] = x0 + tx, y0 + ty
                    break
        walked[i] += length(out_x[i] - x0, out_y[i] - y0)
        if keep_moves:
            vx[i] = (out_x[i] - x0) / dt
            vy[i] = (out_y[i] - y0) / dt


@njit(cache=True, parallel=True, error_model="numpy")
def downhill(
    travel: FloatArray, resolution: float
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Unit vectors of steepest descent of a travel-time grid (inf: impassable): central
    differences, one-sided beside an impassable cell or the grid's edge, so that along a wall
    the descent runs along it (walls push people off by themselves: the speed model's wall
    repulsion). Zero where the time is not finite or flat."""
    rows, columns = travel.shape
    out_x = np.zeros((rows, columns), dtype=np.float32)
    out_y = np.zeros((rows, columns), dtype=np.float32)
    for i in prange(rows):
        for j in range(columns):
            here = travel[i, j]
            if not math.isfinite(here):
                continue
            gx = one_sided_slope(
                travel[i, j - 1] if j > 0 else math.inf, here,
                travel[i, j + 1] if j < columns - 1 else math.inf, resolution,
            )  # fmt: skip
            gy = one_sided_slope(
                travel[i - 1, j] if i > 0 else math.inf, here,
                travel[i + 1, j] if i < rows - 1 else math.inf, resolution,
            )  # fmt: skip
            norm = math.hypot(gx, gy)
            if norm > 0.0:
                out_x[i, j] = -gx / norm
                out_y[i, j] = -gy / norm
    return out_x, out_y


@njit(cache=True, inline="always", error_model="numpy")
def one_sided_slope(before: float, here: float, after: float, resolution: float) -> float:
    """The slope through three cells in a row: central when both neighbours are passable
    (finite), one-sided when one is, zero when none is."""
    if math.isfinite(before) and math.isfinite(after):
        return (after - before) / (2.0 * resolution)
    if math.isfinite(after):
        return (after - here) / resolution
    if math.isfinite(before):
        return (here - before) / resolution
    return 0.0


@njit(cache=True, error_model="numpy")
def living_extent(
    x: FloatArray, y: FloatArray, radius: FloatArray, speed: FloatArray, alive: IntArray
) -> tuple[float, float, float, float, float, float]:
    """(x_min, y_min, x_max, y_max, largest radius, mean speed of those moving) over the living
    agents."""
    x_lo = y_lo = math.inf
    x_hi = y_hi = -math.inf
    r_max = 0.0
    moving = 0
    speed_sum = 0.0
    for k in range(alive.size):
        i = alive[k]
        x_lo = min(x_lo, x[i])
        x_hi = max(x_hi, x[i])
        y_lo = min(y_lo, y[i])
        y_hi = max(y_hi, y[i])
        r_max = max(r_max, radius[i])
        if speed[i] > 0.0:
            moving += 1
            speed_sum += speed[i]
    return x_lo, y_lo, x_hi, y_hi, r_max, speed_sum / max(moving, 1)


@njit(cache=True, error_model="numpy")
def pass_waypoints(
    x: FloatArray, y: FloatArray, alive: IntArray, target: IntArray, exits: int,
    waypoint_cells: npt.NDArray[np.int16], grid_x_min: float, grid_y_min: float,
    resolution: float, route: IntArray, route_position: IntArray, final_target: IntArray,
) -> int:  # fmt: skip
    """Move on those standing in a cell of the waypoint they head for (target `exits` + its
    index): to the next waypoint of their `route` (rows of waypoint indices, -1 where it ends),
    or after the last to their `final_target`. Positions outside the grid count as the nearest
    edge cell. Returns how many moved on."""
    rows, columns = waypoint_cells.shape
    longest = route.shape[1]
    passed = 0
    for k in range(alive.size):
        i = alive[k]
        if target[i] < exits:
            continue
        column = min(max(int(math.floor((x[i] - grid_x_min) / resolution)), 0), columns - 1)
        row = min(max(int(math.floor((y[i] - grid_y_min) / resolution)), 0), rows - 1)
        if waypoint_cells[row, column] != target[i] - exits:
            continue
        position = route_position[i] + 1
        route_position[i] = position
        following = route[i, min(position, longest - 1)]
        target[i] = exits + following if position < longest and following >= 0 else final_target[i]
        passed += 1
    return passed


@njit(cache=True, error_model="numpy")
def exits_reached(
    x: FloatArray, y: FloatArray, alive: IntArray, target: IntArray,
    free_choice: npt.NDArray[np.bool_], exit_cells: npt.NDArray[np.int16],
    exit_open: npt.NDArray[np.bool_], grid_x_min: float, grid_y_min: float, resolution: float,
) -> IntArray:  # fmt: skip
    """Ids of the agents standing in the cells of an open exit that is theirs: the exit they head
    for, or any exit for those free to choose (target -1 or free_choice). Agents heading for a
    waypoint (target >= number of exits) pass exits by."""
    rows, columns = exit_cells.shape
    exits = exit_open.size
    out = np.empty(alive.size, dtype=np.int64)
    n = 0
    for k in range(alive.size):
        i = alive[k]
        col = int(math.floor((x[i] - grid_x_min) / resolution))
        row = int(math.floor((y[i] - grid_y_min) / resolution))
        if 0 <= row < rows and 0 <= col < columns:
            e = exit_cells[row, col]
            if e < 0 or not exit_open[e] or target[i] >= exits:
                continue
            if target[i] == e or target[i] < 0 or free_choice[i]:
                out[n] = i
                n += 1
    return out[:n]


@njit(cache=True, parallel=True, error_model="numpy")
def sfm_accelerations(
    x: FloatArray, y: FloatArray, vx: FloatArray, vy: FloatArray, radius: FloatArray,
    desired_speed: FloatArray, field_of: IntArray, cell_start: IntArray, ordered: IntArray,
    cell_x_min: float, cell_y_min: float, cell_size: float, cell_columns: int, cell_rows: int,
    direction_x: npt.NDArray[np.float32], direction_y: npt.NDArray[np.float32],
    wall_distance: npt.NDArray[np.float32], grid_x_min: float, grid_y_min: float,
    resolution: float, relaxation_time: float, strength: float, range_m: float,
    body_stiffness: float, friction: float, out_ax: FloatArray, out_ay: FloatArray,
) -> None:  # fmt: skip
    """Social force model (Helbing & Molnár 1995; Helbing, Farkas & Vicsek 2000), per unit mass.

    a = (v0·e0 - v) / tau + sum over neighbours and walls of
        [A·exp((r_ij - d_ij) / B) + k·g(r_ij - d_ij)]·n_ij + kappa·g(r_ij - d_ij)·(dv_t)·t_ij,
    g(z) = max(z, 0): body compression and sliding friction act only on contact.
    """
    n = ordered.size
    reach = min(cell_size, 10.0 * range_m + 1.0)
    for k in prange(n):
        i = ordered[k]
        xi, yi, ri = x[i], y[i], radius[i]
        ex, ey = desired_direction(
            direction_x, direction_y, field_of[i], xi, yi, grid_x_min, grid_y_min, resolution
        )
        ax = (desired_speed[i] * ex - vx[i]) / relaxation_time
        ay = (desired_speed[i] * ey - vy[i]) / relaxation_time
        cx = min(max(int((xi - cell_x_min) / cell_size), 0), cell_columns - 1)
        cy = min(max(int((yi - cell_y_min) / cell_size), 0), cell_rows - 1)
        x_lo, x_hi = max(cx - 1, 0), min(cx + 2, cell_columns)
        for ny in range(max(cy - 1, 0), min(cy + 2, cell_rows)):
            row = ny * cell_columns
            for m in range(cell_start[row + x_lo], cell_start[row + x_hi]):
                j = ordered[m]
                if j == i:
                    continue
                dx = xi - x[j]
                dy = yi - y[j]
                distance = length(dx, dy)
                if distance > reach or distance < 1e-9:
                    continue
                nx_, ny_ = dx / distance, dy / distance
                overlap = ri + radius[j] - distance
                push = strength * math.exp(overlap / range_m)
                if overlap > 0.0:
                    push += body_stiffness * overlap
                    tx, ty = -ny_, nx_
                    slip = (vx[j] - vx[i]) * tx + (vy[j] - vy[i]) * ty
                    ax += friction * overlap * slip * tx
                    ay += friction * overlap * slip * ty
                ax += push * nx_
                ay += push * ny_
        clearance = sample(wall_distance, xi, yi, grid_x_min, grid_y_min, resolution)
        if clearance < reach:
            nx_, ny_, slope = wall_normal(wall_distance, xi, yi, grid_x_min, grid_y_min, resolution)
            if nx_ != 0.0 or ny_ != 0.0:
                overlap = ri - clearance
                push = strength * math.exp(overlap / range_m)
                if overlap > 0.0:
                    push += body_stiffness * overlap
                    tx, ty = -ny_, nx_
                    slip = vx[i] * tx + vy[i] * ty
                    ax -= friction * overlap * slip * tx
                    ay -= friction * overlap * slip * ty
                # Without the fade a lone walker stopped in front of any opening narrower than
                # about 0.78 m: on the mouth's axis the unit normal pointed straight back.
                push *= ridge_fade(clearance, ri, slope, 5 * range_m, resolution)
                ax += push * nx_
                ay += push * ny_
        out_ax[i] = ax
        out_ay[i] = ay


@njit(cache=True, parallel=True, error_model="numpy")
def neighbour_counts(
    x: FloatArray, y: FloatArray, cell_start: IntArray, ordered: IntArray, x_min: float,
    y_min: float, cell_size: float, columns: int, rows: int, radius: float,
) -> IntArray:  # fmt: skip
    """For each agent, how many agents (itself included) stand within `radius` (cells of at least
    `radius`, from build_cell_list over all of x, y)."""
    counts = np.zeros(x.size, dtype=np.int64)
    squared = radius * radius
    for i in prange(x.size):
        cx = min(max(int((x[i] - x_min) / cell_size), 0), columns - 1)
        cy = min(max(int((y[i] - y_min) / cell_size), 0), rows - 1)
        x_lo, x_hi = max(cx - 1, 0), min(cx + 2, columns)
        found = 0
        for ny in range(max(cy - 1, 0), min(cy + 2, rows)):
            row = ny * columns
            for m in range(cell_start[row + x_lo], cell_start[row + x_hi]):
                j = ordered[m]
                dx = x[j] - x[i]
                dy = y[j] - y[i]
                if dx * dx + dy * dy <= squared:
                    found += 1
        counts[i] = found
    return counts


@njit(cache=True, inline="always", error_model="numpy")
def crossing(px: float, py: float, qx: float, qy: float, lines: FloatArray, k: int) -> int:
    """How the move p -> q crosses the segment lines[k] = (ax, ay, bx, by): 0 forward (from its
    left to its right), 1 back, -1 not at all (also when it only touches the segment's
    supporting line outside the segment). The move's bounding box is tested first."""
    ax, ay, bx, by = lines[k, 0], lines[k, 1], lines[k, 2], lines[k, 3]
    if (
        max(px, qx) < min(ax, bx) or min(px, qx) > max(ax, bx)
        or max(py, qy) < min(ay, by) or min(py, qy) > max(ay, by)
    ):  # fmt: skip
        return -1
    side_before = (bx - ax) * (py - ay) - (by - ay) * (px - ax)
    side_after = (bx - ax) * (qy - ay) - (by - ay) * (qx - ax)
    if np.sign(side_before) == np.sign(side_after):
        return -1
    end_a = (qx - px) * (ay - py) - (qy - py) * (ax - px)
    end_b = (qx - px) * (by - py) - (qy - py) * (bx - px)
    if np.sign(end_a) == np.sign(end_b):
        return -1
    return 0 if side_before > 0 else 1


@njit(cache=True, error_model="numpy")
def count_crossings(
    before_x: FloatArray, before_y: FloatArray, after_x: FloatArray, after_y: FloatArray,
    moved: IntArray, lines: FloatArray,
) -> IntArray:  # fmt: skip
    """Crossings of each segment lines[k] = (ax, ay, bx, by) by the moves before[i] -> after[i]
    of the agents i in `moved`: (k, 0) from its left to its right (forward), (k, 1) back (see
    `crossing`). Every move against every line (`count_crossings_near` without tiles): for many
    lines, list them per tile."""
    no_tiles = np.zeros(1, dtype=np.int64)
    return count_crossings_near(
        before_x, before_y, after_x, after_y, moved, lines, no_tiles, no_tiles, 0.0, 0.0, 1.0,
        0, 0, 0.0,
    )  # fmt: skip


@njit(cache=True, error_model="numpy")
def count_crossings_near(
    before_x: FloatArray, before_y: FloatArray, after_x: FloatArray, after_y: FloatArray,
    moved: IntArray, lines: FloatArray, tile_first: IntArray, tile_lines: IntArray,
    tile_x_min: float, tile_y_min: float, tile_size: float, tile_columns: int, tile_rows: int,
    reach: float,
) -> IntArray:  # fmt: skip
    """`count_crossings` with the lines listed per square tile (see
    `simulator.measurement.LineTiles`): a move no longer than `reach` is tested only against
    the lines of the tile it starts in (tile_lines[tile_first[t]:tile_first[t + 1]]), a longer
    one or one from outside the tiles against every line, a standing agent against none. The
    same counts."""
    out = np.zeros((lines.shape[0], 2), dtype=np.int64)
    reach_squared = reach * reach
    for m in range(moved.size):
        i = moved[m]
        px, py, qx, qy = before_x[i], before_y[i], after_x[i], after_y[i]
        if px == qx and py == qy:
            continue  # standing (waiting to start, or held up): crosses nothing
        column = int(math.floor((px - tile_x_min) / tile_size))
        row = int(math.floor((py - tile_y_min) / tile_size))
        near = (
            (qx - px) * (qx - px) + (qy - py) * (qy - py) <= reach_squared
            and 0 <= column < tile_columns and 0 <= row < tile_rows
        )  # fmt: skip
        tile = row * tile_columns + column
        first, end = (tile_first[tile], tile_first[tile + 1]) if near else (0, lines.shape[0])
        for listed in range(first, end):
            k = tile_lines[listed] if near else listed
            way = crossing(px, py, qx, qy, lines, k)
            if way >= 0:
                out[k, way] += 1
    return out
