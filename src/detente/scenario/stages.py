"""The rules of a staged summit, on a scenario's stages and actors: who negotiates, which
stage's deal is final, which stage rules are broken.

Plain functions with no pydantic: the simulator's summit protocol uses them on a validated
scenario, and :mod:`.schema` uses them to validate one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .schema import Actor, Stage

__all__ = ["stage_is_final", "stage_negotiators", "stage_problems"]


def stage_negotiators(stages: list[Stage], actors: dict[str, Actor]) -> list[str]:
    """The negotiators of a staged summit: the actors present and seated in a bargaining stage,
    in order of first seat (stage order, then seat order). Strategies are given per negotiator."""
    out: list[str] = []
    for st in stages:
        if st.kind != "bargaining":
            continue
        for p in st.participants:
            a = actors.get(p.actor)
            if a is not None and a.present and p.actor not in out:
                out.append(p.actor)
    return out


def _seated(st: Stage, actors: dict[str, Actor]) -> set[str]:
    return {p.actor for p in st.participants if p.actor in actors and actors[p.actor].present}


def stage_is_final(stages: list[Stage], k: int, actors: dict[str, Actor]) -> bool:
    """Whether a deal at bargaining stage ``k`` ends the summit: its ``final`` when given, else
    True unless a later bargaining stage seats every actor present of this one and more (a
    bilateral before a plenary, a mediator's proximity talks before the joint session)."""
    st = stages[k]
    if st.final is not None:
        return st.final
    seats = _seated(st, actors)
    return not any(s.kind == "bargaining" and _seated(s, actors) > seats for s in stages[k + 1:])


def stage_problems(stages: list[Stage], actors: dict[str, Actor]):
    """Yield (location, message) for every broken stage rule (docs/simulation.md, the staged
    summit): an actor seated twice in a stage; a bargaining stage with fewer than two actors
    present; stages without a bargaining stage; a stage marked ``final: false`` that no later
    bargaining stage can confirm (none seats all of its actors)."""
    if not stages:
        return
    for k, st in enumerate(stages):
        seen: set[str] = set()
        for j, p in enumerate(st.participants):
            if p.actor in seen:
                yield (f"stages[{k}].participants[{j}].actor",
                       f"stage {st.id!r}: actor {p.actor!r} is seated twice; list each actor once per stage")
            seen.add(p.actor)
        if st.kind != "bargaining":
            continue
        seated = [p.actor for p in st.participants if p.actor in actors]
        present = [a for a in dict.fromkeys(seated) if actors[a].present]
        if len(present) < 2 and len(seated) == len(st.participants):
            absent = [a for a in seated if not actors[a].present]
            got = ", ".join(present) or "none"
            extra = f"; absent (never negotiate): {', '.join(absent)}" if absent else ""
            yield (f"stages[{k}].participants",
                   f"stage {st.id!r}: a bargaining stage needs at least two actors present at the table "
                   f"(got {got}{extra})")
        if st.final is False:
            seats = _seated(st, actors)
            if not any(s.kind == "bargaining" and _seated(s, actors) >= seats for s in stages[k + 1:]):
                yield (f"stages[{k}].final",
                       f"stage {st.id!r}: its deals are provisional (final: false) but no later bargaining stage "
                       f"seats all of its actors ({', '.join(sorted(seats))}) to confirm them; add such a stage "
                       f"or drop 'final: false'")
    if not any(st.kind == "bargaining" for st in stages):
        yield "stages", "no bargaining stage: a summit needs at least one stage of kind 'bargaining'"
