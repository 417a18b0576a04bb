"""One error hierarchy for the whole tool; the command line turns any of these into exit code 2."""


class EvacError(Exception):
    """Base of every error raised on purpose (bad input, missing data, unreachable service)."""


class SiteError(EvacError):
    """A site cannot be loaded: missing or unreadable file, no walkable ways, an empty area."""


class NetworkUnavailableError(SiteError):
    """An online download was asked for but the service cannot be reached."""


class SimulationError(EvacError):
    """A simulation cannot be set up or continued: bad geometry, agents in walls, bad parameters."""


class ScenarioError(EvacError):
    """A scenario file is wrong: an unknown key, a value of the wrong type or outside its range."""


class RankingError(EvacError):
    """A ranking cannot be read or compared: a missing or malformed ranking.json."""
