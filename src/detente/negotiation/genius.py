"""Read and write GENIUS domain and profile XML files (ANAC format).

A GENIUS scenario is one domain file (root ``negotiation_template``) and one profile file per
party (root ``utility_space``). The format is described in
``shared/specs/negotiation-protocols.md`` section 1 and in the GENIUS manual (Lin et al.,
"Genius: An integrated environment for supporting the design of generic automated
negotiators", Computational Intelligence 30(1), 2014, doi:10.1111/j.1467-8640.2012.00463.x).

XML is parsed with :mod:`defusedxml` (no entity expansion, no external DTDs). Every problem
raises :class:`~detente.errors.ScenarioError` naming the file and the element.

Issue types:

- ``discrete``: ``<item value=...>`` labels; a profile gives each item an ``evaluation``.
- ``integer``: ``lowerbound``/``upperbound`` attributes, one value per integer (or, with
  ``discretise=N`` and a wider range, N evenly spaced integers). A profile gives either
  ``<item>`` evaluations or GENIUS's linear evaluator
  ``<evaluator ftype="linear" slope="a" offset="b"/>``: e(v) = clip(b + a (v - lowerbound), 0, 1).
- ``real``: a continuous range (``lowerbound``/``upperbound`` attributes, or a
  ``<range lowerbound=... upperbound=...>`` child); read only on request, cut into
  ``discretise=N`` evenly spaced values. A profile gives
  ``<evaluator ftype="linear" parameter0="c" parameter1="a"/>``: e(x) = clip(c + a x, 0, 1)
  (GENIUS ``EvaluatorReal``), or ``ftype="constant"`` (``parameter0``).

An evaluator's values are utilities in [0, 1] and enter U as they are (GENIUS does not divide
them by their maximum, unlike item evaluations). Integer and real issues are written back in
the same form (bounds and evaluators), so a domain read with ``discretise=N`` and written out
reads back identically with the same N.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

import numpy as np

from ..errors import MissingExtraError, ScenarioError
from ..io.files import write_atomic
from ..scenario.files import read_bytes
from ..scenario.numbers import strict_float, strict_int
from .domain import WEIGHT_SUM_TOLERANCE, Domain

__all__ = [
    "GeniusIssue",
    "GeniusProfile",
    "load_genius_folder",
    "read_genius_domain",
    "read_genius_profile",
    "write_genius_domain",
    "write_genius_profile",
]

MAX_XML_BYTES = 20 * 1024 * 1024
MAX_INTEGER_VALUES = 100_000


@dataclass(frozen=True, slots=True)
class GeniusIssue:
    """An issue of a GENIUS domain: its 1-based index, name and values (in item order).

    ``kind`` is ``discrete``, ``integer`` or ``real``; for the last two ``lower``/``upper`` are
    the bounds and ``numbers`` the numeric value of each (discretised) value.
    """

    index: int
    name: str
    values: tuple[str, ...]
    kind: str = "discrete"
    lower: float | None = None
    upper: float | None = None
    numbers: tuple[float, ...] | None = None


@dataclass(frozen=True, slots=True)
class GeniusProfile:
    """A party's GENIUS profile, matched to a domain's issues.

    ``evaluations[k]`` are the raw scores of issue k's values in the domain's value order;
    ``weights`` are as written (not yet normalised); ``reservation`` 0 and
    ``discount`` 1 when absent.
    """

    name: str
    evaluations: tuple[tuple[float, ...], ...]
    weights: tuple[float, ...]
    reservation: float
    discount: float
    has_reservation: bool
    has_discount: bool
    evaluators: tuple[tuple[str, tuple[float, ...]] | None, ...] = ()


def _parse(path: Path) -> Element:
    try:
        from defusedxml import ElementTree as DET
        from defusedxml.common import DefusedXmlException
    except ImportError:  # pragma: no cover - defusedxml is in the xml/dev extras
        raise MissingExtraError("defusedxml", "xml") from None
    src = path.name
    raw = read_bytes(path, source=src, max_bytes=MAX_XML_BYTES)  # regular files only
    try:
        return DET.fromstring(raw)
    except DET.ParseError as e:
        line = getattr(e, "position", (0, 0))[0]
        raise ScenarioError(f"malformed XML ({e})", source=src, location=f"line {line}") from None
    except DefusedXmlException as e:
        raise ScenarioError(f"forbidden XML construct ({type(e).__name__}: {e})", source=src) from None


def _int_attr(el: Element, name: str, src: str, where: str) -> int:
    raw = el.get(name)
    if raw is None:
        raise ScenarioError(f"missing attribute {name!r}", source=src, location=where, field=name)
    try:
        return strict_int(raw, max_digits=18)
    except ValueError:
        raise ScenarioError(f"must be an integer (got {raw!r})", source=src, location=where, field=name) from None


def _float_attr(el: Element, name: str, src: str, where: str) -> float:
    raw = el.get(name)
    if raw is None:
        raise ScenarioError(f"missing attribute {name!r}", source=src, location=where, field=name)
    try:
        v = strict_float(raw)
    except ValueError:
        raise ScenarioError(f"must be a number (got {raw[:40]!r})", source=src, location=where, field=name) from None
    if not math.isfinite(v):
        raise ScenarioError(f"must be a finite number (got {raw!r})", source=src, location=where, field=name)
    return v


def _objective(root: Element, src: str) -> Element:
    if root.tag == "negotiation_template":
        us = root.find("utility_space")
        if us is None:
            raise ScenarioError("no <utility_space> element in the domain", source=src, location="<negotiation_template>")
    elif root.tag == "utility_space":
        us = root
    else:
        raise ScenarioError(
            f"root element must be <negotiation_template> or <utility_space> (got <{root.tag}>)",
            source=src,
            location=f"<{root.tag}>",
        )
    obj = us.find("objective")
    if obj is None:
        raise ScenarioError("no <objective> element", source=src, location="<utility_space>")
    return obj


def _check_discretise(discretise: Any) -> int | None:
    if discretise is None:
        return None
    if isinstance(discretise, bool) or not isinstance(discretise, (int, np.integer)) or discretise < 2:
        raise ScenarioError(f"must be an integer >= 2 (got {discretise!r})", field="discretise")
    if discretise > MAX_INTEGER_VALUES:
        raise ScenarioError(f"at most {MAX_INTEGER_VALUES} values per issue (got {discretise})", field="discretise")
    return int(discretise)


def _bounds(el: Element, src: str, where: str, as_int: bool) -> tuple[float, float]:
    """Bounds from the issue's attributes or its ``<range>`` child."""
    host = el
    if el.get("lowerbound") is None and el.get("upperbound") is None:
        rng = el.find("range")
        if rng is not None:
            host, where = rng, f"{where}/<range>"
    get = _int_attr if as_int else _float_attr
    lo, hi = get(host, "lowerbound", src, where), get(host, "upperbound", src, where)
    bad = hi < lo if as_int else not hi > lo  # an integer range may hold one value
    if bad:
        rel = "<" if as_int else "<="
        raise ScenarioError(f"upperbound {hi} {rel} lowerbound {lo}", source=src, location=where, field="upperbound")
    return lo, hi


def _label(v: float) -> str:
    return f"{v:.12g}"


def _issues(obj: Element, src: str, discretise: int | None = None) -> list[tuple[GeniusIssue, Element]]:
    out = []
    seen: dict[int, int] = {}
    for k, el in enumerate(obj.findall("issue")):
        where = f"<issue>[{k + 1}]"
        idx = _int_attr(el, "index", src, where)
        name = el.get("name")
        if not name:
            raise ScenarioError("missing attribute 'name'", source=src, location=where, field="name")
        where = f"<issue name={name!r}>"
        if idx in seen:
            raise ScenarioError(f"duplicate issue index {idx}", source=src, location=where, field="index")
        seen[idx] = k
        kind = (el.get("etype") or el.get("type") or el.get("vtype") or "discrete").lower()
        if kind == "integer":
            lo, hi = _bounds(el, src, where, as_int=True)
            ints: np.ndarray
            if discretise is not None and hi - lo + 1 > discretise:
                ints = np.unique(np.round(np.linspace(lo, hi, discretise)).astype(np.int64))
            else:
                if hi - lo + 1 > MAX_INTEGER_VALUES:  # each value becomes an outcome: refuse, never exhaust memory
                    raise ScenarioError(
                        f"integer issue with {hi - lo + 1} values (lowerbound {lo}, upperbound {hi}); at most "
                        f"{MAX_INTEGER_VALUES} allowed (or read it with discretise=N)", source=src, location=where,
                        field="upperbound")
                ints = np.arange(lo, hi + 1)
            out.append((GeniusIssue(idx, name, tuple(str(int(v)) for v in ints), "integer", float(lo), float(hi),
                                    tuple(float(v) for v in ints)), el))
            continue
        elif kind == "real":
            lo, hi = _bounds(el, src, where, as_int=False)
            if discretise is None:
                raise ScenarioError(
                    f"issue {name!r} of type 'real' has a continuous range [{lo:g}, {hi:g}]; read it "
                    "with discretise=N (N >= 2 evenly spaced values)", source=src, location=where, field="etype")
            xs = np.linspace(lo, hi, discretise)
            out.append((GeniusIssue(idx, name, tuple(_label(v) for v in xs), "real", lo, hi,
                                    tuple(float(v) for v in xs)), el))
            continue
        elif kind == "discrete":
            items = el.findall("item")
            if not items:
                raise ScenarioError("a discrete issue needs at least one <item>", source=src, location=where)
            labels: list[str] = []
            for j, it in enumerate(items):
                v = it.get("value")
                if v is None:
                    raise ScenarioError("missing attribute 'value'", source=src, location=f"{where}/<item>[{j + 1}]", field="value")
                labels.append(v)
            dup = sorted(k for k, c in Counter(labels).items() if c > 1)
            if dup:
                raise ScenarioError(f"duplicate item values {dup}", source=src, location=where)
            values = tuple(labels)
        else:
            raise ScenarioError(
                f"issue type {kind!r} is not supported (allowed: discrete, integer, real)",
                source=src,
                location=where,
                field="etype",
            )
        out.append((GeniusIssue(idx, name, values), el))
    if not out:
        raise ScenarioError("the objective has no <issue> elements", source=src, location="<objective>")
    out.sort(key=lambda p: p[0].index)
    return out


def read_genius_domain(path: str | Path, *, discretise: int | None = None) -> tuple[GeniusIssue, ...]:
    """Read a GENIUS domain file: its issues in index order.

    Parameters
    ----------
    discretise : int, optional
        Values per real issue (evenly spaced over its range; required when the domain has
        one), and at most that many values per integer issue.

    Raises
    ------
    ScenarioError
        Malformed XML, a wrong root element, an issue without values, a real issue without
        ``discretise``, bounds that are missing or reversed, ...
    """
    p = Path(path)
    root = _parse(p)
    return tuple(i for i, _ in _issues(_objective(root, p.name), p.name, _check_discretise(discretise)))


def _root_value(root: Element, tag: str, src: str) -> float | None:
    el = root.find(tag)
    if el is None:
        el = root.find(f"objective/{tag}")
    if el is None:
        return None
    return _float_attr(el, "value", src, f"<{tag}>")


def read_genius_profile(path: str | Path, issues: tuple[GeniusIssue, ...]) -> GeniusProfile:
    """Read a GENIUS profile and match it to a domain's issues (by name and value).

    Raises
    ------
    ScenarioError
        A malformed file; an issue or value that is not in the domain (or missing from the
        profile); a negative evaluation; weights missing or not summing to 1 (within
        ``WEIGHT_SUM_TOLERANCE``); a discount factor outside (0, 1].
    """
    p = Path(path)
    src = p.name
    root = _parse(p)
    if root.tag != "utility_space":
        raise ScenarioError(f"a profile's root element must be <utility_space> (got <{root.tag}>)", source=src, location=f"<{root.tag}>")
    obj = _objective(root, src)
    disc = max((len(i.values) for i in issues if i.kind == "real"), default=None)
    prof = {i.name: (i, el) for i, el in _issues(obj, src, disc)}
    dom_names = [i.name for i in issues]
    extra = sorted(set(prof) - set(dom_names))
    if extra:
        raise ScenarioError(
            f"the profile has issues that are not in the domain: {extra}; domain issues: {dom_names}",
            source=src,
            location=f"<issue name={extra[0]!r}>",
        )
    weights_el: dict[int, float] = {}
    for j, wel in enumerate(obj.findall("weight")):
        where = f"<weight>[{j + 1}]"
        weights_el[_int_attr(wel, "index", src, where)] = _float_attr(wel, "value", src, where)

    def issue_weight(index: int, name: str) -> float:
        """The <weight> of the profile's issue ``index`` (domain issue ``name``), checked."""
        if index not in weights_el:
            raise ScenarioError(
                f"no <weight index=\"{index}\"> for issue {name!r}", source=src, location="<objective>", field="weight"
            )
        wv = weights_el[index]
        if wv < 0:
            raise ScenarioError(f"weight must be >= 0 (got {wv})", source=src, location=f"<weight index=\"{index}\">")
        return wv

    evals: list[tuple[float, ...]] = []
    weights: list[float] = []
    evaluators: list[tuple[str, tuple[float, ...]] | None] = []
    for iss in issues:
        if iss.name not in prof:
            raise ScenarioError(
                f"the profile does not evaluate the domain's issue {iss.name!r}",
                source=src,
                location="<objective>",
            )
        piss, el = prof[iss.name]
        where = f"<issue name={iss.name!r}>"
        if piss.kind != iss.kind or (iss.kind != "discrete" and (piss.lower, piss.upper) != (iss.lower, iss.upper)):
            raise ScenarioError(
                f"issue {iss.name!r} is {piss.kind} [{piss.lower}, {piss.upper}] in the profile but "
                f"{iss.kind} [{iss.lower}, {iss.upper}] in the domain", source=src, location=where)
        ev_el = el.find("evaluator")
        if iss.kind != "discrete" and (ev_el is not None or iss.kind == "real"):
            if ev_el is None:
                raise ScenarioError(f"real issue {iss.name!r} needs an <evaluator>", source=src, location=where)
            spec, sc = _evaluate(ev_el, iss, src, f"{where}/<evaluator>")
            evaluators.append(spec)
            if max(sc) <= 0:
                raise ScenarioError(f"every evaluation of issue {iss.name!r} is 0", source=src, location=where)
            evals.append(sc)
            weights.append(issue_weight(piss.index, iss.name))
            continue
        evaluators.append(None)
        scores: dict[str, float] = {}
        for it in el.findall("item"):
            iw = f"{where}/<item value={it.get('value')!r}>"
            v = it.get("value")
            if v not in iss.values:
                raise ScenarioError(
                    f"value {v!r} is not a value of the domain's issue {iss.name!r}; valid: {list(iss.values)}",
                    source=src,
                    location=iw,
                    field="value",
                )
            e = _float_attr(it, "evaluation", src, iw)
            if e < 0:
                raise ScenarioError(f"evaluation must be >= 0 (got {e})", source=src, location=iw, field="evaluation")
            scores[v] = e
        missing = [v for v in iss.values if v not in scores]
        if missing:
            raise ScenarioError(
                f"no evaluation for values {missing} of issue {iss.name!r}", source=src, location=where
            )
        if max(scores.values()) <= 0:
            raise ScenarioError(f"every evaluation of issue {iss.name!r} is 0", source=src, location=where)
        evals.append(tuple(scores[v] for v in iss.values))
        weights.append(issue_weight(piss.index, iss.name))
    total = 0.0
    for wv in weights:
        total += wv
    if abs(total - 1.0) > WEIGHT_SUM_TOLERANCE:
        raise ScenarioError(
            f"issue weights must sum to 1 (within {WEIGHT_SUM_TOLERANCE:g}); got {total!r} from {weights}",
            source=src,
            location="<objective>",
            field="weight",
        )
    r = _root_value(root, "reservation", src)
    d = _root_value(root, "discount_factor", src)
    if d is not None and not 0 < d <= 1:
        raise ScenarioError(f"must lie in (0, 1] (got {d})", source=src, location="<discount_factor>", field="value")
    return GeniusProfile(
        name=p.stem,
        evaluations=tuple(evals),
        weights=tuple(weights),
        reservation=0.0 if r is None else r,
        discount=1.0 if d is None else d,
        has_reservation=r is not None,
        has_discount=d is not None,
        evaluators=tuple(evaluators),
    )


def _evaluate(ev: Element, iss: GeniusIssue, src: str, where: str) -> tuple[tuple[str, tuple[float, ...]], tuple[float, ...]]:
    """The evaluator of an integer or real issue and its scores at the issue's values.

    Integer (GENIUS ``EvaluatorInteger``): ``ftype="linear"`` with ``slope``/``offset``,
    e(v) = clip(offset + slope (v - lowerbound), 0, 1). Real (``EvaluatorReal``):
    ``ftype="linear"`` with ``parameter0``/``parameter1``, e(x) = clip(parameter0 +
    parameter1 x, 0, 1), or ``ftype="constant"`` with ``parameter0``. Either form is accepted
    for either kind.
    """
    ftype = (ev.get("ftype") or "linear").strip().lower()
    x = np.asarray(iss.numbers, dtype=float)
    spec: tuple[str, tuple[float, ...]]
    if ftype == "linear":
        if ev.get("slope") is not None or ev.get("offset") is not None:
            a, b = _float_attr(ev, "slope", src, where), _float_attr(ev, "offset", src, where)
            spec = ("slope_offset", (a, b))
            e = b + a * (x - float(iss.lower or 0.0))
        else:
            c, a = _float_attr(ev, "parameter0", src, where), _float_attr(ev, "parameter1", src, where)
            spec = ("linear", (c, a))
            e = c + a * x
    elif ftype == "constant":
        c = _float_attr(ev, "parameter0", src, where)
        spec = ("constant", (c,))
        e = np.full(x.shape, c)
    else:
        raise ScenarioError(f"evaluator ftype {ftype!r} is not supported (allowed: linear, constant)",
                            source=src, location=where, field="ftype")
    return spec, tuple(float(v) for v in np.clip(e, 0.0, 1.0))


def _is_domain_file(path: Path) -> bool:
    # only the head is read, and only of a regular file: a stray FIFO or device named *.xml
    # in the folder is refused by name (read_bytes) instead of blocking or reading forever
    head = read_bytes(path, max_bytes=4096, head=True).decode("utf-8", "replace")
    return "<negotiation_template" in head


def load_genius_folder(
    folder: str | Path,
    *,
    profiles: list[str] | tuple[str, ...] | None = None,
    name: str | None = None,
    discretise: int | None = None,
) -> Domain:
    """Load a GENIUS scenario folder (one domain file + profiles) as a :class:`Domain`.

    Parameters
    ----------
    folder : path
        A folder holding the XML files, or a folder with a ``genius/`` subfolder (as in the
        reference data); ``domain_info.json``'s ``profile_order`` is honoured when present.
    profiles : list of str, optional
        Profile file names in party order (party 0 offers first). Default: the
        ``profile_order`` of ``domain_info.json`` if there is one, else the profile files in
        alphabetical order (NegMAS's ``from_genius_folder`` order).
    name : str, optional
        Domain name (default: the folder name).
    discretise : int, optional
        Values per real issue (required when the domain has one) and at most that many per
        integer issue (see :func:`read_genius_domain`).

    Raises
    ------
    ScenarioError
        No or several domain files, fewer than two profiles, or any problem of a file.
    """
    import json

    base = Path(folder)
    if not base.is_dir():
        raise ScenarioError(f"not a folder: {base}", source=str(base))
    xml_dir = base / "genius" if (base / "genius").is_dir() else base
    files = sorted(xml_dir.glob("*.xml"))
    domains = [f for f in files if _is_domain_file(f)]
    if len(domains) != 1:
        raise ScenarioError(
            f"expected exactly one domain file (root <negotiation_template>) in {xml_dir}, found {[f.name for f in domains]}",
            source=str(xml_dir),
        )
    dom_file = domains[0]
    if profiles is None:
        info = base / "domain_info.json"
        if info.is_file():
            try:
                profiles = list(json.loads(info.read_text(encoding="utf-8"))["profile_order"])
            except (ValueError, KeyError, TypeError) as e:
                raise ScenarioError(f"cannot read profile_order ({e})", source=info.name) from None
        else:
            profiles = [f.name for f in files if f != dom_file and f.name.lower() != "pareto.xml"]
    if len(profiles) < 2:
        raise ScenarioError(f"a negotiation needs at least two profiles; found {list(profiles)}", source=str(xml_dir))
    issues = read_genius_domain(dom_file, discretise=discretise)
    profs = [read_genius_profile(xml_dir / p, issues) for p in profiles]
    scores = tuple(
        np.array([pr.evaluations[k] for pr in profs], dtype=float) for k in range(len(issues))
    )
    weights = []
    for pr in profs:
        s = 0.0
        for w in pr.weights:
            s += w
        weights.append([w / s for w in pr.weights])
    return Domain(
        name=name or base.name,
        issues=tuple(i.name for i in issues),
        values=tuple(i.values for i in issues),
        parties=tuple(pr.name for pr in profs),
        scores=scores,
        weights=np.array(weights),
        reservation=np.array([pr.reservation for pr in profs]),
        discount=np.array([pr.discount for pr in profs]),
        source=dom_file.name,
        issue_meta=_meta(issues, profs),
    )


def _meta(issues, profs) -> tuple | None:
    """Per issue: None (discrete) or (kind, lower, upper, evaluator per party or None)."""
    if all(i.kind == "discrete" for i in issues):
        return None
    out: list[tuple[Any, ...] | None] = []
    for k, iss in enumerate(issues):
        if iss.kind == "discrete":
            out.append(None)
            continue
        evs = tuple(pr.evaluators[k] if pr.evaluators else None for pr in profs)
        out.append((iss.kind, iss.lower, iss.upper, evs))
    return tuple(out)


# ---------------------------------------------------------------------- writing
def _esc(s: Any) -> str:
    from xml.sax.saxutils import quoteattr

    return quoteattr(str(s))


def _issue_xml(domain: Domain, k: int, party: int | None, indent: str) -> list[str]:
    meta = None if domain.issue_meta is None else domain.issue_meta[k]
    if meta is not None:
        kind, lo, hi, evs = meta
        fmt = (lambda v: str(int(v))) if kind == "integer" else (lambda v: repr(float(v)))
        bounds = f'lowerbound="{fmt(lo)}" upperbound="{fmt(hi)}"'
        lines = [f'{indent}<issue index="{k + 1}" etype="{kind}" type="{kind}" vtype="{kind}" '
                 f'name={_esc(domain.issues[k])} {bounds}>']
        if kind == "real":
            lines.append(f"{indent}    <range {bounds}></range>")
        ev = None if party is None else evs[party]
        if party is not None and ev is not None:
            form, params = ev
            if form == "slope_offset":
                attrs = f'ftype="linear" slope="{params[0]!r}" offset="{params[1]!r}"'
            elif form == "linear":
                attrs = f'ftype="linear" parameter0="{params[0]!r}" parameter1="{params[1]!r}"'
            else:
                attrs = f'ftype="constant" parameter0="{params[0]!r}"'
            lines.append(f"{indent}    <evaluator {attrs}></evaluator>")
        elif party is not None:  # integer issue evaluated item by item
            for j, v in enumerate(domain.values[k]):
                lines.append(f'{indent}    <item index="{j + 1}" value={_esc(v)} '
                             f'evaluation="{float(domain.scores[k][party, j])!r}"></item>')
        lines.append(f"{indent}</issue>")
        return lines
    lines = [f'{indent}<issue index="{k + 1}" etype="discrete" type="discrete" vtype="discrete" name={_esc(domain.issues[k])}>']
    for j, v in enumerate(domain.values[k]):
        ev = "" if party is None else f' evaluation="{float(domain.scores[k][party, j])!r}"'
        lines.append(f'{indent}    <item index="{j + 1}" value={_esc(v)}{ev}></item>')
    lines.append(f"{indent}</issue>")
    return lines


def write_genius_domain(domain: Domain, path: str | Path) -> None:
    """Write the domain file (issues and values) in GENIUS format, atomically."""
    lines = ["<negotiation_template>", f'<utility_space number_of_issues="{domain.n_issues}">',
             '<objective index="0" etype="objective" type="objective" description="" name="root">']
    for k in range(domain.n_issues):
        lines += _issue_xml(domain, k, None, "    ")
    lines += ["</objective>", "</utility_space>", "</negotiation_template>", ""]
    _write(path, "\n".join(lines))


def write_genius_profile(domain: Domain, party: int | str, path: str | Path) -> None:
    """Write one party's profile (evaluations, weights, discount, reservation), atomically."""
    p = domain.parties.index(party) if isinstance(party, str) else int(party)
    lines = ["<utility_space>", '<objective index="0" etype="objective" type="objective" description="" name="root">']
    for k in range(domain.n_issues):
        lines += _issue_xml(domain, k, p, "    ")
    for k in range(domain.n_issues):
        lines.append(f'    <weight index="{k + 1}" value="{float(domain.weights[p, k])!r}"></weight>')
    lines += ["</objective>", f'<discount_factor value="{float(domain.discount[p])!r}" />',
              f'<reservation value="{float(domain.reservation[p])!r}" />', "</utility_space>", ""]
    _write(path, "\n".join(lines))


def _write(path: str | Path, text: str) -> None:
    write_atomic(path, text)  # whole or not at all, umask-respecting, no link replaced
