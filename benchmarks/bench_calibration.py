"""Issue 17's targets, measured out of sample on the case library (not a timed test).

Usage: python benchmarks/bench_calibration.py [--cases DIR] [--reference DIR] [--n-boot N]
                                              [--json FILE] [--plot FILE]

Cases: ``cases/*.yaml`` and the built-in scenarios with an outcome (deal flags and issue
outcomes), plus ``../shared/reference/cases`` (issue outcomes only; its ``eu_emissions_1994``
row is left out because the built-in ``eu-emissions-1994`` is the same negotiation on the same
scale). Prints each target with the measured figure and whether it is met, the track record per
model and for the ensemble, the most confident deal forecasts and whether they were right, and
Alaska. ``--plot`` draws the reliability diagram and the PIT histogram (matplotlib).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from detente.backtest import builtin_cases, load_cases
from detente.backtest.ensemble import ENSEMBLE
from detente.backtest.track_record import TrackRecord, score_cases
from detente.io import load_scenario
from detente.uncertainty.deal_model import deal_probability

ROOT = Path(__file__).resolve().parents[1]
DUPLICATE_REFERENCE = {"eu_emissions_1994"}


def _ci(v: list | None) -> str:
    return "" if not v or v[0] is None else f" [{v[0]:.3f}, {v[1]:.3f}]"


def _ok(flag: bool) -> str:
    return "MET" if flag else "NOT MET"


def report(tr: TrackRecord) -> None:
    d = tr.to_dict()
    deal = d["deal"]
    cal, base = deal["probability"], deal["base_rate"]
    print(f"\n== Deal probability: {d['n_deal_cases']} cases ({d['n_deals']} deals), nested "
          "leave-one-case-out ==")
    print(f"{'forecaster':22s} {'brier':>22s} {'log loss':>22s} {'skill vs base':>24s} {'ece':>22s}")
    for name, s in deal.items():
        iv = s["intervals"]
        print(f"{name:22s} {s['brier']:.3f}{_ci(iv['brier']):16s} {s['log_loss']:.3f}"
              f"{_ci(iv['log_loss']):16s} {s['brier_skill']:+.3f}{_ci(iv['brier_skill']):17s} "
              f"{s['ece']:.3f}{_ci(iv['ece'])}")
    print(f"target: Brier skill >= 0.15: {cal['brier_skill']:+.3f} -> {_ok(cal['brier_skill'] >= 0.15)}")
    print(f"target: log loss below the base rate's: {cal['log_loss']:.3f} vs {base['log_loss']:.3f} "
          f"-> {_ok(cal['log_loss'] < base['log_loss'])}")
    print(f"target: no probability below 0.02 or above 0.98: range [{cal['min']:.3f}, "
          f"{cal['max']:.3f}] -> {_ok(cal['min'] >= 0.02 and cal['max'] <= 0.98)}")
    df = tr.to_frame("deal")
    df = df.assign(confidence=(df["probability"] - 0.5).abs(),
                   right=((df["probability"] >= 0.5) == (df["deal"] == 1)))
    print("\nmost confident deal forecasts (nested LOO):")
    for _, r in df.sort_values("confidence", ascending=False).head(8).iterrows():
        print(f"  {r['case']:34s} p={r['probability']:.3f} deal={bool(r['deal'])!s:5s} "
              f"{'right' if r['right'] else 'WRONG'} (raw structural rate {r['raw_structural_rate']:.3f})")
    print(f"share right at 0.5: {df['right'].mean():.3f} (base rate guess: "
          f"{max(df['deal'].mean(), 1 - df['deal'].mean()):.3f})")
    print("\nreliability (calibrated, 5 bins):")
    print(tr.to_frame("reliability").to_string(index=False))

    pts = d["points"]
    print(f"\n== Point forecasts: {d['n_rows']} issue rows, 0-100, leave-one-case-out ==")
    print(f"{'forecaster':18s} {'n':>4s} {'MAE':>20s} {'CRPS':>20s} {'cov50':>6s} {'cov80':>6s} "
          f"{'cov90':>6s} {'w90':>6s} {'ens-model':>22s}")
    for name, s in pts.items():
        c = s["coverage"]
        em = s.get("ensemble_minus_model")
        em_txt = "" if em is None else f"{em:+.2f}{_ci(s.get('ensemble_minus_model_ci'))}"
        print(f"{name:18s} {s['n']:4d} {s['mae']:6.2f}{_ci(s['mae_ci']):14s} {s['crps']:6.2f}"
              f"{_ci(s['crps_ci']):14s} {c['0.5']:6.3f} {c['0.8']:6.3f} {c['0.9']:6.3f} "
              f"{s['width']['0.9']:6.1f} {em_txt}")
    ens = pts[ENSEMBLE]
    print("ensemble weights (all cases): "
          + ", ".join(f"{k} {v:.3f}" for k, v in d["ensemble_weights"].items()))
    print(f"target: coverage 0.85-0.95 at 90%: {ens['coverage']['0.9']:.3f} -> "
          f"{_ok(0.85 <= ens['coverage']['0.9'] <= 0.95)}")
    print(f"target: coverage 0.40-0.60 at 50%: {ens['coverage']['0.5']:.3f} -> "
          f"{_ok(0.40 <= ens['coverage']['0.5'] <= 0.60)}")
    wm = pts["weighted_mean"]
    diff = wm["ensemble_minus_model"]
    print(f"target: ensemble MAE at least 2 points below the weighted mean: ensemble "
          f"{ens['mae']:.2f} vs weighted mean {wm['mae']:.2f} (difference {diff:+.2f}"
          f"{_ci(wm['ensemble_minus_model_ci'])}) -> {_ok(diff <= -2.0)}")
    # paired on the rows both forecast (Nash gives no forecast without a zone of agreement)
    losses = [n for n, s in pts.items() if n != ENSEMBLE and s["ensemble_minus_model"] >= 0]
    print("the ensemble beats every single model on their common rows" if not losses else
          f"the ensemble does NOT beat: {', '.join(losses)} (paired on common rows)")
    print(f"PIT histogram (ensemble, 10 bins): {ens['pit_histogram']}")

    print("\n== Alaska 2025 ==")
    t0 = time.perf_counter()
    dp = deal_probability(load_scenario("alaska-2025"), seed=0)
    dt = time.perf_counter() - t0
    print(f"published: {dp.summary()}  ({dt * 1000:.0f} ms)")
    for note in dp.notes:
        print(f"  note: {note}")
    row = tr.to_frame("deal").set_index("case").loc["alaska-2025"]
    print(f"before the summit (model fitted without Alaska, nested LOO): p={row['probability']:.3f}; "
          f"raw structural rate {row['raw_structural_rate']:.3f}; outcome: no deal. The inputs "
          "were coded after the summit (ex_ante: no).")


def plot(tr: TrackRecord, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rel = tr.to_frame("reliability")
    deal = tr.to_frame("deal")
    pts = tr.to_frame("points")
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(10, 4.2))
    ax.plot([0, 1], [0, 1], color="0.6", lw=1, ls="--", label="perfect calibration")
    ok = rel["n"] > 0
    ax.plot(rel["mean_forecast"][ok], rel["observed_rate"][ok], "o-", color="C0",
            label="calibrated deal probability (nested LOO)")
    for _, r in rel[ok].iterrows():
        ax.annotate(f"n={int(r['n'])}", (r["mean_forecast"], r["observed_rate"]),
                    textcoords="offset points", xytext=(4, -12), fontsize=8)
    rng = np.random.default_rng(0)
    jit = rng.uniform(-0.03, 0.03, len(deal))
    ax.scatter(deal["probability"], deal["deal"] + jit, s=10, color="C0", alpha=0.5)
    ax.scatter(deal["hard_rate"], deal["deal"] + jit, s=10, color="C3", alpha=0.5, marker="x",
               label="raw structural rate, hard red lines")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.08, 1.08)
    ax.set_xlabel("forecast probability of a deal")
    ax.set_ylabel("observed share of deals (dots: cases)")
    ax.set_title(f"Reliability, {len(deal)} cases")
    ax.legend(fontsize=7, loc="upper left")
    pit = pts[pts["forecaster"] == ENSEMBLE]["pit"].dropna()
    bx.hist(pit, bins=10, range=(0, 1), color="C2", edgecolor="white")
    bx.axhline(len(pit) / 10, color="0.4", ls="--", lw=1)
    bx.set_xlabel("PIT of the outcome (ensemble, jackknife+ by case)")
    bx.set_ylabel("issue rows")
    bx.set_title(f"PIT histogram, {len(pit)} issue rows (flat = calibrated)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    print(f"wrote {path}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=Path, default=ROOT / "cases")
    ap.add_argument("--reference", type=Path, default=ROOT.parent / "shared" / "reference" / "cases")
    ap.add_argument("--n-boot", type=int, default=1000)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--plot", type=Path)
    args = ap.parse_args()
    cases = load_cases([args.cases]) + builtin_cases()
    if args.reference.is_dir():
        ref = [c for c in load_cases([args.reference]) if c.targets[0].cluster not in DUPLICATE_REFERENCE]
        cases += ref
        print(f"reference cases: {len(ref)} rows from {args.reference} "
              f"({', '.join(sorted(DUPLICATE_REFERENCE))} left out: same as the built-in)")
    else:
        print(f"reference folder {args.reference} not found: library and built-ins only")
    t0 = time.perf_counter()
    tr = score_cases(cases, seed=0, n_boot=args.n_boot)
    print(f"scored {len(cases)} cases in {time.perf_counter() - t0:.0f} s")
    report(tr)
    if args.json:
        args.json.write_text(json.dumps(tr.to_dict(), indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    if args.plot:
        plot(tr, args.plot)


if __name__ == "__main__":
    main()
