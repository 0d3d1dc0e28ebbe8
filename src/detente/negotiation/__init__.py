"""Multi-issue negotiation domains: GENIUS XML, linear additive utilities, bargaining points."""

from .batch import DomainBatch, scenario_domains, scenario_reservations
from .domain import Domain
from .from_scenario import actor_reservations, scenario_domain, threat_shifts
from .genius import (
    load_genius_folder,
    read_genius_domain,
    read_genius_profile,
    write_genius_domain,
    write_genius_profile,
)
from .solutions import BargainingPoints, bargaining_points, pareto_frontier, pareto_mask

__all__ = [
    "BargainingPoints",
    "Domain",
    "DomainBatch",
    "actor_reservations",
    "bargaining_points",
    "load_genius_folder",
    "pareto_frontier",
    "pareto_mask",
    "read_genius_domain",
    "read_genius_profile",
    "scenario_domain",
    "scenario_domains",
    "scenario_reservations",
    "threat_shifts",
    "write_genius_domain",
    "write_genius_profile",
]
