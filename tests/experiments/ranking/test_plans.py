"""Candidate plans on the bundled Plzeň site: generated corridors respect capacities, hazards
raise route costs where the gas goes, and `via` crossings mean their far side."""

from __future__ import annotations

from collections import Counter

import pytest
from shapely.geometry import Point

from city_data.places import AssemblyArea
from city_data.site import Site
from experiments.ranking.plans import (
    RankingContext,
    generate_plans,
    movements,
    ranking_context,
    scenario_plans,
)
from scenarios.scenario_file import load_scenario
from scenarios.site_setup import via_area


@pytest.fixture(scope="module")
def worst_case() -> RankingContext:
    return ranking_context(load_scenario("ammonia_worst_case"))


def test_generated_plans_are_distinct_and_respect_capacities(worst_case: RankingContext) -> None:
    plans = generate_plans(worst_case)
    assert len(plans) >= 3
    assert len({p.rules for p in plans}) == len(plans)
    people = {o.name: o.count for o in worst_case.origins}
    capacity = {
        p.name: p.capacity
        for p in worst_case.site.places_of("assembly_area")
        if isinstance(p, AssemblyArea) and p.capacity
    }
    for plan in plans:
        assert {r.origin for r in plan.rules} <= {
            o.name for o in worst_case.origins if o.in_stadium
        }
        sent: Counter[str] = Counter()
        for rule in plan.rules:
            sent[rule.destination] += people[rule.origin]
        for destination, count in sent.items():
            assert count <= capacity.get(destination, float("inf")), (plan.name, destination)


def test_hand_written_plans_come_from_the_scenario(worst_case: RankingContext) -> None:
    plans = scenario_plans(worst_case)
    names = [p.name for p in plans]
    assert names[0] == "As planned (scenario)"
    assert "East over Pivovarská lávka" in names
    east = plans[names.index("East over Pivovarská lávka")]
    moves = {m.origin: m for m in movements(worst_case, east)}
    # The east stand's sectors cross the bridge; the north stand goes to its nearest destination.
    assert [leg.name for leg in moves["Sector E"].legs] == ["Pivovarská lávka"]
    assert moves["Sector E"].legs[0].width_m == pytest.approx(3.5)
    assert moves["Sector J"].legs == ()
    assert len(moves["Sector J"].destinations) == len(worst_case.venue.destinations)


def test_the_plume_raises_route_costs_on_the_brewery_side(worst_case: RankingContext) -> None:
    network = worst_case.network
    cost = worst_case.edge_cost
    east = [network.graph.edges[e]["key"] for e in network.passage_edges("Pivovarská lávka")]
    north = [network.graph.edges[e]["key"] for e in network.passage_edges("Lávka do Luční")]
    assert min(cost[k] for k in east) > 10.0  # downwind of the brewery, right under the plume
    assert max(cost[k] for k in north) < min(cost[k] for k in east)
    calm = ranking_context(load_scenario("ammonia_prevailing_sw"))
    assert max(calm.edge_cost[k] for k in east) == pytest.approx(1.0)


def test_a_crossing_is_passed_on_its_far_side(plzen: Site) -> None:
    from_stadium, tag = via_area(plzen, "Pivovarská lávka", coming_from=(0.0, 0.0), key="via")
    from_brewery, _ = via_area(plzen, "Pivovarská lávka", coming_from=(400.0, 0.0), key="via")
    assert tag.startswith("far half")
    assert from_stadium.centroid.x > from_brewery.centroid.x
    assert from_stadium.contains(Point(215, -29)) and not from_stadium.contains(Point(170, -34))
    _whole, tag = via_area(plzen, "Radbuza left-bank path", coming_from=(0.0, 0.0), key="via")
    assert tag == "whole"  # a long way is passed anywhere along it
