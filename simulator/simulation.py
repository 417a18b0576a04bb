"""`Simulation`: a small facade over the crowd engine (JuPedSim's vocabulary, Numba beneath)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numba
import numpy as np
import numpy.typing as npt
from shapely.geometry import LineString
from shapely.geometry.base import BaseGeometry

from city_data.raster import WalkableGrid, fill_cells
from evac.errors import SimulationError
from simulator import kernels
from simulator.crowd_aware_routing import CrowdAwareRouting, CrowdCosts, crowd_costs
from simulator.exit_choice import SPECIFIC_FLOW_PER_M_S, choose_exits, exit_width_m
from simulator.floor_field import FieldStack, FloorField, FloorFieldStore, compute_floor_field
from simulator.measurement import LineCounter, LineTiles, line_tiles
from simulator.trajectory_writer import TrajectoryWriter
from simulator.venue import Venue, build_venue

FloatArray = npt.NDArray[np.float64]
FloatArray32 = npt.NDArray[np.float32]
MODELS = ("cfsm", "sfm")
# "queue": free choosers take the exit that gets them out soonest, queues included, re-deciding
# every EXIT_CHOICE_INTERVAL_S; "nearest": the exit with the shortest travel time, for good.
EXIT_CHOICES = ("queue", "nearest")
EXIT_CHOICE_INTERVAL_S = 1.0
_SFM_SUBSTEP_S = 0.01  # the body-force stiffness needs steps of 0.01 s or less
# Any open exit (the nearest one, by travel time) is field key -1; exit k is key k.
ANY_EXIT = -1
# The structure of arrays: one entry per agent id (grown together).
_PER_AGENT_ARRAYS = (
    "_x",
    "_y",
    "_vx",
    "_vy",
    "_crowd",
    "_radius",
    "_speed0",
    "_start_time",
    "_exit_used",
    "_target",
    "_chooses",
    "_reconsiders",
    "_inside",
    "_exit_time",
    "_field_of",
    "_moving_speed",
    "_speed_factor",
    "_walked",
    "_route",
    "_route_position",
    "_final_target",
)
MAX_WAYPOINTS = 4  # areas an agent can be routed through before its exit  # fmt: skip
_MAX_CELLS = 8_000_000
_CELLS_PER_REACH = 3
# Walking through a closed area costs this many times the normal time: routes avoid it wherever
# another way exists, and people caught inside take the shortest way out.
CLOSED_AREA_COST = 1000.0
_CELLS_PER_AGENT = 8  # neighbour-search cells per agent at most (then coarser cells)
_SFM_CELL_SIZE_M = 2.0  # social forces beyond 2 m are below 1e-9 of the driving force


def _check_positive(parameters: object) -> None:
    """Every field of a model's parameter object must be a positive number."""
    for name, value in vars(parameters).items():
        if not (isinstance(value, int | float) and value > 0):
            raise SimulationError(f"model parameter {name} must be positive, got {value!r}")


@dataclass(frozen=True, kw_only=True)
class CollisionFreeSpeedModel:
    """Parameters of the collision-free speed model (Tordeux et al. 2016).

    Two time gaps (see kernels.cfsm_velocities): `time_gap_s` in single file, Tordeux et al.'s
    and JuPedSim's 1 s (Seyfried et al. 2005 measured 1.06 s); `crowd_time_gap_s` with two or
    more people walking beside, kept for `crowd_memory_s` after they thin. The crowd gap and
    the memory are calibrated together on bottleneck flows: the Wuppertal 2018 run 030_c_56_h0
    and Seyfried et al. 2009's five widths (the smallest RMS error over a grid of both:
    `python -m experiments.time_gap_calibration`; pairs within half a point tie, and of those
    the shortest memory, then the largest gap is taken). JuPedSim 1.4's defaults (one gap of
    1.0 s, 0.2 m) under-predict the Wuppertal flows by a third; equal gaps give the published
    model. The repulsion constants are JuPedSim's.
    """

    time_gap_s: float = 1.0
    crowd_time_gap_s: float = 0.36
    radius_m: float = 0.18
    neighbour_strength: float = 8.0
    neighbour_range_m: float = 0.1
    wall_strength: float = 5.0
    wall_range_m: float = 0.02
    # Our counterflow addition (see kernels.cfsm_velocities), evasion within one's search reach.
    # The measured bidirectional corridor (Jülich BFR, experiments.bidirectional_validation) is
    # matched with 1.0 within 5 % in density and speed; without evasion the replay is 20 % too
    # dense and the slowest tenth take half as long again to walk through.
    evasion_strength: float = 1.0
    evasion_range_m: float = 5.0
    # How long turning takes: the direction relaxes toward the model's new direction with this
    # time constant, as in the generalised collision-free velocity model (Xu, Chraibi, Tordeux &
    # Zhang 2019, "Generalized collision-free velocity model for pedestrian dynamics", Physica A
    # 535, which uses 0.3 s), solved exactly over a step (a step of dt turns the fraction
    # 1 - exp(-dt/tau) of the way), so the behaviour does not hang on the step. Chosen, not
    # calibrated: at a square-edged 0.5 m door 13 of seeds 0-33 deadlock when turning is instant,
    # none with 0.123 s; 150 + 150 people in counterflow (experiments.counterflow, seeds 0-2)
    # gridlock twice and take 326 s once with 0.3 s, pass in 138-153 s with 0.123 s (figures
    # measured at dt 0.05 s with the step-wise form dt/0.15 s, the same third of the way per
    # step). A tiny value turns at once (the published CFSM).
    turning_time_s: float = 0.123
    # Passing a slower walker ahead (our addition, see kernels.overtake): someone out of a crowd
    # held up by a slower walker tries headings this far and twice as far to either side of
    # the way. Chosen, not calibrated (20°: at 40° one clears the lane of someone 0.8 m ahead).
    # Without it the 1.8 m corridor experiments (Zhang et al. 2011) are replayed 23-31 % too
    # slowly below 1/m², with it 10-16 % (experiments.corridor_validation); bottleneck flows
    # move within their seed noise. A tiny value: nobody passes (the published CFSM).
    overtaking_angle_deg: float = 20.0
    # How long someone keeps a crowd's time gap after the crowd round them thins (our
    # addition, see kernels.cfsm_velocities; the crowd share falls to nothing over this time),
    # calibrated with the crowd time gap (RMS 4.1 % against 7.0 % at best without it). A tiny
    # value: the gap follows who is beside at once.
    crowd_memory_s: float = 3.0

    def __post_init__(self) -> None:
        _check_positive(self)

    @property
    def time_gaps_text(self) -> str:
        """The two time gaps in words, for reports."""
        return f"T {self.time_gap_s:g} s in single file, {self.crowd_time_gap_s:g} s in a crowd"


@dataclass(frozen=True, kw_only=True)
class SocialForceModel:
    """Parameters of the social force model, per unit mass (Helbing, Farkas & Vicsek 2000:
    A = 2000 N, B = 0.08 m, k = 1.2e5 kg/s², kappa = 2.4e5 kg/(m s), m = 80 kg, tau = 0.5 s)."""

    relaxation_time_s: float = 0.5
    radius_m: float = 0.2
    strength: float = 25.0
    range_m: float = 0.08
    body_stiffness: float = 1500.0
    friction: float = 3000.0
    max_speed_factor: float = 1.3

    def __post_init__(self) -> None:
        _check_positive(self)


def turn_fraction(dt: float, turning_time_s: float) -> float:
    """How far a walker turns toward a new direction in one step of `dt`: the exact solution
    of the relaxation with time constant `turning_time_s` over the step (1: at once)."""
    return -math.expm1(-dt / turning_time_s)


def normal_speeds(rng: np.random.Generator, n: int, *, mean: float, sd: float) -> FloatArray:
    """Free walking speeds drawn from a normal distribution, kept within 0.5-2.0 m/s."""
    return np.clip(rng.normal(mean, sd, size=n), 0.5, 2.0)


def weidmann_speeds(rng: np.random.Generator, n: int) -> FloatArray:
    """Free walking speeds: mean 1.34 m/s and s.d. 0.26 m/s (Weidmann 1993), 0.5-2.0."""
    return normal_speeds(rng, n, mean=1.34, sd=0.26)


def default_resolution(area: BaseGeometry) -> float:
    """The finest raster (0.1, 0.2, 0.25 or 0.5 m) that keeps the grid under 8 million cells."""
    x0, y0, x1, y1 = area.bounds
    for resolution in (0.1, 0.2, 0.25, 0.5):
        if ((x1 - x0) / resolution + 4) * ((y1 - y0) / resolution + 4) <= _MAX_CELLS:
            return resolution
    return 1.0


class Simulation:
    """A crowd in a walkable area with exits, stepped in time.

    >>> from shapely.geometry import box
    >>> sim = Simulation(walkable_area=box(0, 0, 40, 2), exits=[box(39.5, 0, 40, 2)], seed=1)
    >>> ids = sim.add_agents(positions=[[1.0, 1.0]], desired_speed=1.33)
    >>> sim.run(max_time_s=60).agent_count
    0

    `model`: "cfsm" or "sfm"; left out, the model `parameters` are for (the collision-free speed
    model without parameters). `routing`: None (each target's floor field stays as computed)
    or `CrowdAwareRouting` (fields recomputed every so often with the crowd's density as a cost;
    for laboratory-sized venues, see simulator.crowd_aware_routing).
    """

    def __init__(
        self,
        *,
        walkable_area: BaseGeometry,
        exits: Sequence[BaseGeometry],
        model: str | None = None,
        dt: float = 0.05,
        seed: int = 0,
        resolution: float | None = None,
        parameters: CollisionFreeSpeedModel | SocialForceModel | None = None,
        trajectory_writer: TrajectoryWriter | None = None,
        measurement_lines: Mapping[str, LineString] | None = None,
        exit_choice: str = "queue",
        reconsider_share: float = 0.5,
        waypoints: Sequence[BaseGeometry] = (),
        field_store: FloorFieldStore | None = None,
        routing: CrowdAwareRouting | None = None,
    ) -> None:
        if model is None:
            model = "sfm" if isinstance(parameters, SocialForceModel) else "cfsm"
        if model not in MODELS:
            raise SimulationError(f"unknown model '{model}' (expected one of: {', '.join(MODELS)})")
        if exit_choice not in EXIT_CHOICES:
            raise SimulationError(
                f"unknown exit_choice '{exit_choice}' (expected one of: {', '.join(EXIT_CHOICES)})"
            )
        self.exit_choice = exit_choice
        self.line_counts: dict[str, LineCounter] = {
            name: LineCounter(line, name=name) for name, line in (measurement_lines or {}).items()
        }
        """Crossings of each measurement line so far (left to right of the line is forward)."""
        self._line_array = np.array(
            [c.segment for c in self.line_counts.values()], dtype=float
        ).reshape(-1, 4)
        if not 0.0 <= reconsider_share <= 1.0:
            raise SimulationError(f"reconsider_share must be in 0..1, got {reconsider_share!r}")
        self.reconsider_share = reconsider_share
        if not (isinstance(dt, int | float) and 0 < dt <= 0.5):
            raise SimulationError(f"dt must be a time step in seconds in (0, 0.5], got {dt!r}")
        self.model = model
        self.dt = float(dt)
        self.seed = seed
        default = CollisionFreeSpeedModel() if model == "cfsm" else SocialForceModel()
        self.parameters = parameters or default
        expected = CollisionFreeSpeedModel if model == "cfsm" else SocialForceModel
        if not isinstance(self.parameters, expected):
            raise SimulationError(f"model '{model}' takes {expected.__name__} parameters")
        self._rng = np.random.default_rng(seed)
        self.venue: Venue = build_venue(
            walkable_area, exits, resolution=resolution or default_resolution(walkable_area)
        )
        self._waypoint_cells = self._rasterise_waypoints(waypoints)
        self._waypoint_count = len(waypoints)
        self._exit_open = np.ones(len(self.venue.exits), dtype=np.bool_)
        self._fields: dict[int, FloorField] = {}
        self._field_store = field_store
        self._stack = FieldStack()
        grid = self.venue.grid
        # Only with lines to count: over a city-sized grid the tile index alone is megabytes.
        self._line_tiles: LineTiles | None = None
        if self.line_counts:
            self._line_tiles = line_tiles(
                self._line_array, x_min=grid.x_min, y_min=grid.y_min,
                x_max=grid.x_min + grid.shape[1] * grid.resolution,
                y_max=grid.y_min + grid.shape[0] * grid.resolution,
            )  # fmt: skip
        # Agents' centres stay in cells wholly inside the walkable area (or in an exit).
        self._movable = self.venue.movable
        self.time = 0.0
        self.frame = 0
        self._writer = trajectory_writer
        if trajectory_writer is not None:
            trajectory_writer.begin(dt=self.dt, walkable_area=self.venue.walkable_area)
        self._n = 0
        capacity = 1024
        self._x = np.zeros(capacity)
        self._y = np.zeros(capacity)
        self._vx = np.zeros(capacity)
        self._vy = np.zeros(capacity)
        self._crowd = np.zeros(capacity)
        self._radius = np.zeros(capacity)
        self._speed0 = np.zeros(capacity)
        self._start_time = np.zeros(capacity)
        self._exit_used = np.full(capacity, -1, dtype=np.int64)
        self._target = np.zeros(capacity, dtype=np.int64)
        self._chooses = np.zeros(capacity, dtype=np.bool_)
        self._reconsiders = np.zeros(capacity, dtype=np.bool_)
        self._next_choice_time = 0.0
        self._inside = np.zeros(capacity, dtype=np.bool_)
        self._exit_time = np.full(capacity, np.nan)
        self._field_of = np.zeros(capacity, dtype=np.int64)
        self._moving_speed = np.zeros(capacity)
        self._speed_factor = np.ones(capacity)
        self._walked = np.zeros(capacity)
        # Routes: up to MAX_WAYPOINTS waypoint indices (-1: none), the next one's position, and
        # the exit (or ANY_EXIT) after the last waypoint. `_target` is the current field key:
        # an exit index, ANY_EXIT, or len(exits) + waypoint index.
        self._route = np.full((capacity, MAX_WAYPOINTS), -1, dtype=np.int64)
        self._route_position = np.zeros(capacity, dtype=np.int64)
        self._final_target = np.zeros(capacity, dtype=np.int64)
        self._routed = False  # anyone on a route at all (skips the waypoint check otherwise)
        self._refresh_moving_speed = True
        self._closed = np.zeros(grid.shape, dtype=np.bool_)
        self._closures: dict[int, npt.NDArray[np.bool_]] = {}
        self._next_closure = 0
        self._hazard_cost: FloatArray32 | None = None
        if routing is not None and not isinstance(routing, CrowdAwareRouting):
            raise SimulationError(f"routing must be a CrowdAwareRouting or None, got {routing!r}")
        self.routing = routing
        # With crowd-aware routing: the crowd's costs, recomputed every this many steps.
        self._crowd_costs: CrowdCosts | None = None
        self._routing_every = 0
        if routing is not None:
            self._routing_every = max(1, round(routing.update_interval_s / self.dt))
        # Caches kept between steps (the per-step work is O(agents inside), not O(ever added)):
        self._alive: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)  # ids inside, ascending
        self._alive_stale = False
        self._fields_stale = True  # targets changed: field stack and field_of to rebuild
        # Who has not started yet (at the last full update of moving speeds), by start time:
        # each step only those whose time has come start (see _update_moving_speeds).
        self._waiting = np.zeros(0, dtype=np.int64)
        self._waiting_starts = np.zeros(0)
        self._started = 0  # how many of _waiting have started since
        # Work space of the kernels, kept between steps: allocating it every step costs page
        # faults wherever freed memory goes straight back to the system (Dask's workers).
        self._cell_start = np.zeros(0, dtype=np.int64)
        self._cell_of = np.zeros(0, dtype=np.int64)
        self._ordered = np.zeros(0, dtype=np.int64)
        self._gathered = np.zeros((5, 0))
        self._gathered_field = np.zeros(0, dtype=np.int64)
        self._before_x = np.zeros(0)
        self._before_y = np.zeros(0)

    # -- agents ------------------------------------------------------------------------------

    def add_agents(
        self,
        *,
        positions: npt.ArrayLike,
        exit: int | None = None,
        desired_speed: float | npt.ArrayLike | None = None,
        start_time: float | npt.ArrayLike = 0.0,
        route: Sequence[int] = (),
    ) -> npt.NDArray[np.int64]:
        """Add agents at `positions` (n, 2) in metres; returns their ids (0, 1, 2... in order).

        `exit` assigns every new agent to that exit; None lets each take the quickest open exit.
        `desired_speed` (m/s) is one value or one per agent; by default drawn from Weidmann's
        distribution with the simulation's seed. `start_time` (s, one value or one per agent) is
        when each starts to move (the pre-movement time); until then it stands where it is.
        `route` lists waypoint indices to pass through, in order, before heading for the exit.
        """
        points = np.asarray(positions, dtype=float)
        if points.ndim != 2 or points.shape[1] != 2:
            raise SimulationError(f"positions must be an array of shape (n, 2), got {points.shape}")
        n = points.shape[0]
        target = self._check_exit(exit)
        waypoints = self._check_route(route)
        speeds = self._speeds(desired_speed, n)
        starts = np.broadcast_to(np.asarray(start_time, dtype=float), (n,)).copy()
        if not np.all(np.isfinite(starts) & (starts >= 0)):
            raise SimulationError("start_time must be finite and >= 0 s")
        grid = self.venue.grid
        rows, columns = grid.cell_of(points[:, 0], points[:, 1])
        inside_grid = (
            (rows >= 0) & (rows < grid.shape[0]) & (columns >= 0) & (columns < grid.shape[1])
        )
        ok = np.zeros(n, dtype=bool)
        ok[inside_grid] = grid.walkable[rows[inside_grid], columns[inside_grid]]
        if not ok.all():
            bad = int(np.flatnonzero(~ok)[0])
            raise SimulationError(
                f"agent {bad} at ({points[bad, 0]:.2f}, {points[bad, 1]:.2f}) is outside the "
                "walkable area or inside a wall"
            )
        self._grow(self._n + n)
        ids = np.arange(self._n, self._n + n)
        self._x[ids], self._y[ids] = points[:, 0], points[:, 1]
        self._vx[ids] = self._vy[ids] = self._crowd[ids] = 0.0
        self._radius[ids] = self.parameters.radius_m
        self._speed0[ids] = speeds
        self._start_time[ids] = starts
        self._moving_speed[ids] = np.where(starts <= self.time, speeds, 0.0)
        self._speed_factor[ids] = 1.0
        self._exit_used[ids] = -1
        self._set_route(ids, waypoints, target)
        self._reconsiders[ids] = self._rng.random(n) < self.reconsider_share
        self._next_choice_time = self.time  # newcomers choose at the next step
        self._inside[ids] = True
        self._exit_time[ids] = np.nan
        self._n += n
        self._alive = np.concatenate([self._living(), ids])
        self._fields_stale = True
        self._refresh_moving_speed = True
        return ids

    def remove_agents(self, ids: npt.ArrayLike) -> None:
        """Take agents out of the simulation (O(1) each); their exit time stays NaN."""
        index = self._check_ids(ids)
        self._inside[index] = False
        self._alive_stale = True  # the list of ids inside is rebuilt once, when next needed

    def set_exit(self, ids: npt.ArrayLike, exit: int | None) -> None:
        """Send agents to another exit (None: the quickest open one) from now on."""
        self.set_route(ids, route=(), exit=exit)

    def set_route(self, ids: npt.ArrayLike, *, route: Sequence[int], exit: int | None) -> None:
        """Send agents through waypoints (indices, in order) and then to an exit (None: the
        quickest open one), from now on."""
        index = self._check_ids(ids)
        self._set_route(index, self._check_route(route), self._check_exit(exit))

    def close_exit(self, index: int) -> None:
        """Close an exit: nobody leaves through it; agents bound for it re-route to the others."""
        index = self._check_exit_index(index)
        if not self._exit_open[index]:
            return
        if self._exit_open.sum() == 1:
            raise SimulationError("cannot close the last open exit")
        self._exit_open[index] = False
        bound = self._target == index
        self._target[bound] = ANY_EXIT
        self._chooses[bound] = True  # their door is shut: they choose again
        routed = self._final_target == index
        self._final_target[routed] = ANY_EXIT
        self._chooses[routed] = True
        self._invalidate_fields()

    def open_exit(self, index: int) -> None:
        """Open a closed exit again."""
        index = self._check_exit_index(index)
        if not self._exit_open[index]:
            self._exit_open[index] = True
            self._invalidate_fields()

    def close_area(self, area: BaseGeometry) -> int:
        """Close an area (a street, a bridge, a cordon) from now on: nobody enters it, people
        inside walk out, routes avoid it. Returns a handle for `open_area`."""
        grid = self.venue.grid
        mask = np.zeros(grid.shape, dtype=np.bool_)
        fill_cells(mask, area, x_min=grid.x_min, y_min=grid.y_min, resolution=grid.resolution)
        mask &= grid.walkable
        if not mask.any():
            raise SimulationError("the area to close covers no walkable cell")
        cells = self.venue.exit_cells
        for k in np.flatnonzero(self._exit_open):
            if not ((cells == k) & ~(self._closed | mask)).any():
                raise SimulationError(
                    f"the area covers all of exit {k}: close the exit with close_exit instead"
                )
        handle = self._next_closure
        self._next_closure += 1
        self._closures[handle] = mask
        self._update_closed()
        return handle

    def open_area(self, handle: int) -> None:
        """Open an area closed by `close_area` again."""
        if handle not in self._closures:
            raise SimulationError(f"no closed area with handle {handle!r}")
        del self._closures[handle]
        self._update_closed()

    def set_hazard_cost(self, cost: npt.ArrayLike | None) -> None:
        """Make routes avoid a hazard: `cost` (the grid's shape, >= 1) multiplies the time to
        walk through each cell of `grid`; None removes it. Routes are recomputed."""
        if cost is None:
            self._hazard_cost = None
        else:
            array = np.asarray(cost, dtype=np.float32)
            if array.shape != self.venue.grid.shape:
                raise SimulationError(
                    f"hazard cost must have the grid's shape {self.venue.grid.shape}, "
                    f"got {array.shape}"
                )
            if not np.all(array >= 1.0):
                raise SimulationError("hazard cost must be >= 1 everywhere (1: no hazard)")
            self._hazard_cost = array
        self._invalidate_fields()

    def set_speed_factor(self, ids: npt.ArrayLike, factor: float | npt.ArrayLike) -> None:
        """Scale the desired speed of agents (running from a threat: > 1; hurt by gas: < 1)."""
        index = self._check_ids(ids)
        factors = np.broadcast_to(np.asarray(factor, dtype=float), index.shape)
        if not np.all((factors > 0) & (factors <= 5)):
            raise SimulationError("speed factors must be in (0, 5]")
        self._speed_factor[index] = factors
        self._refresh_moving_speed = True

    def set_start_time(self, ids: npt.ArrayLike, start_time: float | npt.ArrayLike) -> None:
        """Change when agents start to move (an alarm cuts the pre-movement time short)."""
        index = self._check_ids(ids)
        starts = np.broadcast_to(np.asarray(start_time, dtype=float), index.shape)
        if not np.all(np.isfinite(starts) & (starts >= 0)):
            raise SimulationError("start_time must be finite and >= 0 s")
        self._start_time[index] = starts
        self._refresh_moving_speed = True

    def route_length(self, points: npt.ArrayLike, *, exit: int | None = None) -> FloatArray:
        """Walking distance in metres from each point (n, 2) to an exit (None: the nearest open
        one) along today's routes, closures and hazard costs included; inf where none leads."""
        xy = np.asarray(points, dtype=float).reshape(-1, 2)
        field = self._field(self._check_exit(exit))
        grid = self.venue.grid
        rows, columns = grid.cell_of(xy[:, 0], xy[:, 1])
        inside = (rows >= 0) & (rows < grid.shape[0]) & (columns >= 0) & (columns < grid.shape[1])
        out = np.full(xy.shape[0], np.inf)
        inside &= np.where(
            inside,
            self._movable[rows.clip(0, grid.shape[0] - 1), columns.clip(0, grid.shape[1] - 1)],
            False,
        )
        out[inside] = field.travel_time[rows[inside], columns[inside]]
        return out

    @property
    def grid(self) -> WalkableGrid:
        """The raster the engine walks on (hazard costs and closures are given on it)."""
        return self.venue.grid

    @property
    def start_times(self) -> FloatArray:
        """When each agent starts (or started) to move, indexed by id."""
        return self._start_time[: self._n].copy()

    # -- time --------------------------------------------------------------------------------

    def step(self, n: int = 1) -> None:
        """Advance the simulation by n time steps."""
        for _ in range(n):
            self._step_once()

    def run(self, *, max_time_s: float) -> Simulation:
        """Step until everyone is out or `max_time_s` of simulated time has passed, then close
        the trajectory writer (if any)."""
        steps = round((max_time_s - self.time) / self.dt)
        for _ in range(max(steps, 0)):
            if self.agent_count == 0:
                break
            self._step_once()
        self.close()
        return self

    def close(self) -> None:
        """Finish the trajectory output; further steps are not recorded."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    # -- state -------------------------------------------------------------------------------

    @property
    def agent_count(self) -> int:
        """Agents still inside."""
        return int(self._living().size)

    @property
    def ids(self) -> npt.NDArray[np.int64]:
        """Ids of the agents still inside, ascending."""
        return self._living().copy()

    @property
    def positions(self) -> FloatArray:
        """Positions (agent_count, 2) of the agents still inside, in the order of `ids`."""
        alive = self._living()
        return np.column_stack([self._x[alive], self._y[alive]])

    @property
    def velocities(self) -> FloatArray:
        """Velocities (agent_count, 2) in m/s, in the order of `ids`."""
        alive = self._living()
        return np.column_stack([self._vx[alive], self._vy[alive]])

    @property
    def exits_used(self) -> npt.NDArray[np.int64]:
        """Index of the exit each agent left through, indexed by id; -1 while inside."""
        return self._exit_used[: self._n].copy()

    @property
    def exit_times(self) -> FloatArray:
        """Exit time in seconds of every agent ever added, indexed by id; NaN while inside."""
        return self._exit_time[: self._n].copy()

    @property
    def walked_distances(self) -> FloatArray:
        """Distance in metres each agent ever added has moved so far, indexed by id."""
        return self._walked[: self._n].copy()

    # -- internals ---------------------------------------------------------------------------

    def _step_once(self) -> None:
        if self._writer is not None and self.frame % self._writer.every_nth_frame == 0:
            self._writer.write_frame(
                self.frame // self._writer.every_nth_frame, self._living(), self.positions
            )
        self.frame += 1
        alive = self._living()
        if alive.size == 0:
            self.time += self.dt
            return
        grid, p = self.venue.grid, self.parameters
        if self._routing_every and (self.frame - 1) % self._routing_every == 0:
            self._update_crowd_cost(alive)
        if self.exit_choice == "queue" and self.time >= self._next_choice_time:
            self._choose_exits(alive)
            self._next_choice_time = self.time + EXIT_CHOICE_INTERVAL_S
        fields = self._direction_stack(alive)
        self._update_moving_speeds(alive)
        moving_speed = self._moving_speed
        self._place_cells(alive, moving_speed)
        cells = self._cell_columns * self._cell_rows
        self._reserve_work_space(cells=cells, agents=alive.size)
        kernels.fill_cell_list(
            self._x, self._y, alive, self._cell_x_min, self._cell_y_min, self._cell_size,
            self._cell_columns, self._cell_rows, self._cell_start, self._cell_of, self._ordered,
        )  # fmt: skip
        cell_start, ordered = self._cell_start[: cells + 1], self._ordered[: alive.size]
        tiles = self._line_tiles
        if tiles is not None:
            np.copyto(self._before_x, self._x)
            np.copyto(self._before_y, self._y)
        if isinstance(p, SocialForceModel):
            self._move_sfm(p, alive, moving_speed, cell_start, ordered, fields)
        else:
            self._move_cfsm(p, alive, moving_speed, cell_start, ordered, fields)
        if tiles is not None:
            counts = kernels.count_crossings_near(
                self._before_x, self._before_y, self._x, self._y, alive, self._line_array,
                tiles.first, tiles.lines, tiles.x_min, tiles.y_min, tiles.size_m, tiles.columns,
                tiles.rows, tiles.reach_m,
            )  # fmt: skip
            for counter, (forward, backward) in zip(self.line_counts.values(), counts, strict=True):
                counter.forward += int(forward)
                counter.backward += int(backward)
        self.time += self.dt
        out = kernels.exits_reached(
            self._x, self._y, alive, self._target, self._chooses, self.venue.exit_cells,
            self._exit_open, grid.x_min, grid.y_min, grid.resolution,
        )  # fmt: skip
        if self._routed:
            self._pass_waypoints(alive)
        if out.size:
            self._inside[out] = False
            self._alive = alive[self._inside[alive]]
            self._exit_time[out] = self.time
            rows, columns = grid.cell_of(self._x[out], self._y[out])
            self._exit_used[out] = self.venue.exit_cells[rows, columns]

    def _update_moving_speeds(self, alive: npt.NDArray[np.int64]) -> None:
        """Agents still in their pre-movement time stand still (and are in others' way); the
        others walk at their desired speed times their speed factor. After a change of start
        times, speed factors or agents, everyone is set afresh; otherwise only those whose start
        time has now come (O(starters) a step, not O(agents) while anyone still waits)."""
        now = self.time
        if self._refresh_moving_speed:
            started = self._start_time[alive] <= now
            self._moving_speed[alive] = np.where(
                started, self._speed0[alive] * self._speed_factor[alive], 0.0
            )
            waiting = alive[~started]
            order = np.argsort(self._start_time[waiting], kind="stable")
            self._waiting = waiting[order]
            self._waiting_starts = self._start_time[self._waiting]
            self._started = 0
            self._refresh_moving_speed = False
            return
        due = int(np.searchsorted(self._waiting_starts, now, side="right"))
        if due > self._started:
            starting = self._waiting[self._started : due]
            self._moving_speed[starting] = self._speed0[starting] * self._speed_factor[starting]
            self._started = due

    def _reserve_work_space(self, *, cells: int, agents: int) -> None:
        """Grow the kernels' work space (by doubling) to hold `cells` cells and `agents`."""
        if self._cell_start.size < cells + 1:
            self._cell_start = np.zeros(max(cells + 1, 2 * self._cell_start.size), dtype=np.int64)
        if self._before_x.size != self._x.size:
            self._before_x = np.zeros(self._x.size)
            self._before_y = np.zeros(self._x.size)
        if self._ordered.size < agents:
            size = max(agents, 2 * self._ordered.size)
            self._cell_of = np.zeros(size, dtype=np.int64)
            self._ordered = np.zeros(size, dtype=np.int64)
            self._gathered = np.zeros((5, size))
            self._gathered_field = np.zeros(size, dtype=np.int64)

    def _choose_exits(self, alive: npt.NDArray[np.int64]) -> None:
        """Re-decide the exit of every free chooser (queue-aware; see exit_choice). Only some
        people weigh queues against distance; the others keep their first choice (the quickest
        walk) unless their exit closes (they are undecided again), so only the undecided and
        those who reconsider are decided for (everyone inside makes up the queues)."""
        # Free choosers heading for an exit now (not for a waypoint on their route).
        choosers = self._chooses[alive] & (self._target[alive] < len(self.venue.exits))
        open_exits = np.flatnonzero(self._exit_open)
        if not choosers.any():
            return
        if open_exits.size == 1:
            self._target[alive[choosers]] = int(open_exits[0])
            self._fields_stale = True
            return
        deciding = choosers & ((self._target[alive] < 0) | self._reconsiders[alive])
        if not deciding.any():
            return
        grid = self.venue.grid
        rows, columns = grid.cell_of(self._x[alive], self._y[alive])
        speed = np.maximum(self._speed0[alive], 0.1)
        walking = np.full((len(self.venue.exits), alive.size), np.inf)
        for k in open_exits:
            walking[k] = self._field(int(k)).travel_time[rows, columns] / speed
        self._target[alive[deciding]] = choose_exits(
            walking[:, deciding], self._target[alive[deciding]], self._exit_capacity(),
            self._exit_open, queue_walking_time=walking, queue_exit=self._target[alive],
        )  # fmt: skip
        self._fields_stale = True

    def _exit_capacity(self) -> FloatArray:
        return np.array([SPECIFIC_FLOW_PER_M_S * exit_width_m(e) for e in self.venue.exits])

    def _place_cells(self, alive: npt.NDArray[np.int64], moving_speed: FloatArray) -> None:
        """The neighbour-search grid over the agents' bounding box: cells of a c-th of a typical
        walker's reach (each agent searches the cells its own reach covers), c as large as keeps
        the grid within a few cells per agent (a city-sized venue must not cost a city of
        cells)."""
        x_lo, y_lo, x_hi, y_hi, radius, speed = kernels.living_extent(
            self._x, self._y, self._radius, moving_speed, alive
        )
        reach = self._interaction_reach(largest_radius=radius, typical_speed=speed)
        self._cell_x_min, self._cell_y_min = x_lo, y_lo
        width = x_hi - x_lo + 1e-6
        height = y_hi - y_lo + 1e-6
        budget = max(_CELLS_PER_AGENT * alive.size, 1024)
        per_reach = _CELLS_PER_REACH if self.model == "cfsm" else 1
        while per_reach > 1 and (width * per_reach / reach) * (height * per_reach / reach) > budget:
            per_reach -= 1
        self._cell_size = reach / per_reach
        self._cell_columns = max(1, int(np.ceil(width / self._cell_size)))
        self._cell_rows = max(1, int(np.ceil(height / self._cell_size)))

    def _interaction_reach(self, *, largest_radius: float, typical_speed: float) -> float:
        """How far neighbours matter to a typical walker: the headway v0·T or the repulsion's
        cutoff, whichever is larger, plus two bodies. (The kernel has each agent search as many
        cells as its own reach takes.)"""
        p = self.parameters
        if isinstance(p, SocialForceModel):
            return _SFM_CELL_SIZE_M
        repulsion = kernels.REPULSION_CUTOFF_RANGES * p.neighbour_range_m
        headway = typical_speed * max(p.time_gap_s, p.crowd_time_gap_s)
        return max(headway, repulsion, 0.5) + 2.0 * largest_radius + 0.01

    def _move_cfsm(
        self, p: CollisionFreeSpeedModel, alive: npt.NDArray[np.int64], moving_speed: FloatArray,
        cell_start: npt.NDArray[np.int64], ordered: npt.NDArray[np.int64], fields: FieldStack,
    ) -> None:  # fmt: skip
        grid = self.venue.grid
        kernels.cfsm_velocities(
            self._x, self._y, self._radius, moving_speed, self._field_of, cell_start, ordered,
            self._cell_x_min, self._cell_y_min, self._cell_size, self._cell_columns,
            self._cell_rows, fields.direction_x, fields.direction_y, fields.travel_time,
            grid.distance_to_wall, grid.x_min, grid.y_min, grid.resolution, p.time_gap_s,
            p.crowd_time_gap_s, p.neighbour_strength, p.neighbour_range_m,
            p.wall_strength, p.wall_range_m, p.evasion_strength, p.evasion_range_m,
            turn_fraction(self.dt, p.turning_time_s), math.radians(p.overtaking_angle_deg),
            self._vx, self._vy, 16 * numba.get_num_threads(), self._gathered,
            self._gathered_field, self._crowd, self.dt / p.crowd_memory_s,
        )  # fmt: skip
        # Each agent's move reads only its own state: the positions update in place. The velocity
        # kept for the next step (its heading, who is oncoming) is the move made: a walker
        # stopped or turned by a wall does not keep heading into it.
        kernels.advance(
            self._x, self._y, self._vx, self._vy, alive, self._movable, self._closed, grid.x_min,
            grid.y_min, grid.resolution, self.dt, self._x, self._y, self._walked, True,
        )  # fmt: skip

    def _move_sfm(
        self, p: SocialForceModel, alive: npt.NDArray[np.int64], moving_speed: FloatArray,
        cell_start: npt.NDArray[np.int64], ordered: npt.NDArray[np.int64], fields: FieldStack,
    ) -> None:  # fmt: skip
        grid = self.venue.grid
        substeps = max(1, int(np.ceil(self.dt / _SFM_SUBSTEP_S - 1e-9)))
        h = self.dt / substeps
        ax = np.zeros(self._x.size)
        ay = np.zeros(self._x.size)
        for _ in range(substeps):
            kernels.sfm_accelerations(
                self._x, self._y, self._vx, self._vy, self._radius, moving_speed, self._field_of,
                cell_start, ordered, self._cell_x_min, self._cell_y_min, self._cell_size,
                self._cell_columns, self._cell_rows, fields.direction_x, fields.direction_y,
                grid.distance_to_wall, grid.x_min, grid.y_min, grid.resolution,
                p.relaxation_time_s, p.strength, p.range_m,
                p.body_stiffness, p.friction, ax, ay,
            )  # fmt: skip
            vx = self._vx[alive] + ax[alive] * h
            vy = self._vy[alive] + ay[alive] * h
            limit = p.max_speed_factor * np.maximum(moving_speed[alive], 1e-9)
            speed = np.hypot(vx, vy)
            scale = np.where(speed > limit, limit / np.maximum(speed, 1e-12), 1.0)
            self._vx[alive] = vx * scale
            self._vy[alive] = vy * scale
            new_x = self._x.copy()
            new_y = self._y.copy()
            kernels.advance(
                self._x, self._y, self._vx, self._vy, alive, self._movable, self._closed,
                grid.x_min, grid.y_min, grid.resolution, h, new_x, new_y, self._walked, False,
            )  # fmt: skip
            # A move blocked by a wall loses its velocity component into the wall.
            self._vx[alive] = np.where(new_x[alive] == self._x[alive], 0.0, self._vx[alive])
            self._vy[alive] = np.where(new_y[alive] == self._y[alive], 0.0, self._vy[alive])
            self._x, self._y = new_x, new_y

    def _direction_stack(self, alive: npt.NDArray[np.int64]) -> FieldStack:
        """Direction and travel-time fields of the targets in use, stacked for the kernel; also
        points each agent (`_field_of`) at its slot in the stack. Updated when targets change."""
        if not self._fields_stale:
            return self._stack
        keys = [int(k) for k in np.unique(self._target[alive])]
        self._stack.update(keys, self._field)
        slot_of_key = np.full(len(self.venue.exits) + self._waypoint_count + 1, -1, dtype=np.int64)
        for key, slot in self._stack.slot_of.items():
            slot_of_key[key + 1] = slot
        self._field_of[alive] = slot_of_key[self._target[alive] + 1]
        self._fields_stale = False
        return self._stack

    def _field(self, key: int) -> FloorField:
        if key not in self._fields:
            cells = self.venue.exit_cells
            if key == ANY_EXIT:
                target = (cells >= 0) & self._exit_open[np.maximum(cells, 0)]
            elif key >= len(self.venue.exits):
                target = self._waypoint_cells == key - len(self.venue.exits)
            else:
                target = cells == key
            grid = self.venue.grid
            walkable = grid.walkable.copy()
            # Closed exits are walls for the floor field (nobody heads into a closed door).
            walkable[(cells >= 0) & ~self._exit_open[np.maximum(cells, 0)]] = False
            cost = None
            crowd = None if self._crowd_costs is None else self._crowd_costs.for_target(key)
            if self._hazard_cost is not None or crowd is not None or self._closed.any():
                cost = np.ones(grid.shape, dtype=np.float32)
                if self._hazard_cost is not None:
                    cost *= self._hazard_cost
                if crowd is not None:
                    cost *= crowd
                cost[self._closed] *= CLOSED_AREA_COST
            # Fields of a crowd's cost serve half a second: not worth keeping in a store.
            compute = compute_floor_field
            if self._field_store is not None and crowd is None:
                compute = self._field_store.field
            self._fields[key] = compute(
                walkable, grid.distance_to_wall, target & ~self._closed,
                resolution=grid.resolution, cost=cost,
            )  # fmt: skip
        return self._fields[key]

    def _living(self) -> npt.NDArray[np.int64]:
        """Ids inside, ascending (after removals, rebuilt once: O(N) per step at most)."""
        if self._alive_stale:
            self._alive = self._alive[self._inside[self._alive]]
            self._alive_stale = False
        return self._alive

    def _rasterise_waypoints(self, waypoints: Sequence[BaseGeometry]) -> npt.NDArray[np.int16]:
        grid = self.venue.grid
        cells = np.full(grid.shape, -1, dtype=np.int16)
        for index, area in enumerate(waypoints):
            mask = np.zeros(grid.shape, dtype=np.bool_)
            fill_cells(mask, area, x_min=grid.x_min, y_min=grid.y_min, resolution=grid.resolution)
            mask &= grid.walkable
            if not mask.any():
                raise SimulationError(f"waypoint {index} covers no walkable cell")
            cells[mask] = index
        return cells

    def _check_route(self, route: Sequence[int]) -> npt.NDArray[np.int64]:
        waypoints = np.asarray(list(route), dtype=np.int64)
        if waypoints.size > MAX_WAYPOINTS:
            raise SimulationError(f"a route has at most {MAX_WAYPOINTS} waypoints")
        if waypoints.size and (waypoints.min() < 0 or waypoints.max() >= self._waypoint_count):
            raise SimulationError(
                f"route waypoints must be indices 0..{self._waypoint_count - 1}, got {list(route)}"
            )
        return waypoints

    def _set_route(
        self, ids: npt.NDArray[np.int64], waypoints: npt.NDArray[np.int64], final: int
    ) -> None:
        self._route[ids] = -1
        self._route[ids, : waypoints.size] = waypoints
        self._route_position[ids] = 0
        self._final_target[ids] = final
        first = len(self.venue.exits) + int(waypoints[0]) if waypoints.size else final
        self._target[ids] = first
        self._chooses[ids] = final == ANY_EXIT
        self._routed |= bool(waypoints.size)
        self._next_choice_time = self.time
        self._fields_stale = True

    def _pass_waypoints(self, alive: npt.NDArray[np.int64]) -> None:
        """Agents standing in their current waypoint move on to the next target."""
        grid = self.venue.grid
        passed = kernels.pass_waypoints(
            self._x, self._y, alive, self._target, len(self.venue.exits), self._waypoint_cells,
            grid.x_min, grid.y_min, grid.resolution, self._route, self._route_position,
            self._final_target,
        )  # fmt: skip
        if passed:
            self._fields_stale = True
            self._next_choice_time = self.time

    def _update_closed(self) -> None:
        self._closed = np.zeros(self.venue.grid.shape, dtype=np.bool_)
        for mask in self._closures.values():
            self._closed |= mask
        self._invalidate_fields()

    def _update_crowd_cost(self, alive: npt.NDArray[np.int64]) -> None:
        """Crowd-aware routing: the walking cost of the crowd inside now, for each target its
        own (its way: the field in use until now); every field anew."""
        assert self.routing is not None
        stack = self._stack
        ways = {
            key: (stack.direction_x[slot], stack.direction_y[slot])
            for key, slot in stack.slot_of.items()
        }
        self._crowd_costs = crowd_costs(
            np.column_stack([self._x[alive], self._y[alive]]),
            np.column_stack([self._vx[alive], self._vy[alive]]),
            routing=self.routing, grid=self.venue.grid, ways=ways,
        )  # fmt: skip
        self._drop_fields()

    def _invalidate_fields(self) -> None:
        """Routes changed (exits, closures, hazard): every field anew, and exits chosen again."""
        self._drop_fields()
        self._next_choice_time = self.time

    def _drop_fields(self) -> None:
        self._fields.clear()
        self._stack.clear()
        self._fields_stale = True

    def _speeds(self, desired_speed: float | npt.ArrayLike | None, n: int) -> FloatArray:
        if desired_speed is None:
            return weidmann_speeds(self._rng, n)
        speeds = np.broadcast_to(np.asarray(desired_speed, dtype=float), (n,)).copy()
        if not np.all((speeds > 0) & (speeds <= 10)):
            raise SimulationError("desired_speed must be between 0 and 10 m/s")
        return speeds

    def _check_exit(self, exit: int | None) -> int:
        """A target for agents: None (any open exit) or the index of an open exit."""
        if exit is None:
            return ANY_EXIT
        index = self._check_exit_index(exit)
        if not self._exit_open[index]:
            raise SimulationError(f"exit {index} is closed")
        return index

    def _check_exit_index(self, index: object) -> int:
        if not (isinstance(index, int | np.integer) and 0 <= index < len(self.venue.exits)):
            raise SimulationError(
                f"exit must be None or an index 0..{len(self.venue.exits) - 1}, got {index!r}"
            )
        return int(index)

    def _check_ids(self, ids: npt.ArrayLike) -> npt.NDArray[np.int64]:
        index = np.atleast_1d(np.asarray(ids, dtype=np.int64))
        if index.size and (index.min() < 0 or index.max() >= self._n):
            raise SimulationError(f"agent ids must be in 0..{self._n - 1}")
        return index

    def _grow(self, needed: int) -> None:
        capacity = self._x.size
        if needed <= capacity:
            return
        new_capacity = max(needed, 2 * capacity)
        for name in _PER_AGENT_ARRAYS:
            old = getattr(self, name)
            fill = np.nan if name == "_exit_time" else (-1 if name == "_route" else 0)
            grown = np.full((new_capacity, *old.shape[1:]), fill, dtype=old.dtype)
            grown[:capacity] = old
            setattr(self, name, grown)
