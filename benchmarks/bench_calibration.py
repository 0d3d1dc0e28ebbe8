"""Issue 17's targets, measured out of sample on the case library (not a timed test).

Usage: python benchmarks/bench_calibration.py [--cases DIR] [--reference DIR] [--n-boot N]
                                              [--json FILE] [--plot FILE]
                                              [--features shipped|adopted]
                                              [--compare-simulator [--compare-json FILE]]

Cases: ``cases/*.yaml`` and the built-in scenarios with an outcome (deal flags and issue
outcomes), plus ``../shared/reference/cases`` (issue outcomes only; its ``eu_emissions_1994``
row is left out because the built-in ``eu-emissions-1994`` is the same negotiation on the same
scale). Prints each target with the measured figure and whether it is met, the track record per
model and for the ensemble, the most confident deal forecasts and whether they were right, and
Alaska. ``--plot`` draws the reliability diagram and the PIT histogram (matplotlib).
``--features adopted`` scores the procedure with the features the next fit uses
(``calibration.MODEL_FEATURES``) instead of those of the shipped ``deal_model.json``.

``--compare-simulator`` runs the one pre-specified comparison of issue 17 instead: the nested
leave-one-case-out deal probability with the shipped features, and with the simulator's deal
rate added (``simulator_deal_rate``), on the same cases, grids and seed; it prints Brier score,
log loss and Brier skill of both, and the paired per-case differences with case-bootstrap
intervals.
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
    print("least likely deals (nested LOO):")
    for _, r in df.sort_values("probability").head(6).iterrows():
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


def compare_simulator(cases: list, *, n_boot: int, out: Path | None) -> None:
    """Nested LOO with and without the simulator's deal rate (same cases, grids and seed)."""
    from detente.backtest import scores
    from detente.backtest.calibration import feature_table, loo_deal_forecasts
    from detente.backtest.track_record import score_deals
    from detente.uncertainty.deal_model import CANDIDATE_FEATURES, FEATURES, SIMULATOR_FEATURE

    flagged = [c.scenario for c in cases
               if c.scenario.outcome is not None and c.scenario.outcome.deal is not None]
    t0 = time.perf_counter()
    table = feature_table(flagged, seed=0, features=CANDIDATE_FEATURES)
    t_feat = time.perf_counter() - t0
    sim = table.values[-1, :, CANDIDATE_FEATURES.index(SIMULATOR_FEATURE)]
    y = table.deal
    print(f"\n== The simulator's deal rate as a feature: {len(y)} cases ({int(y.sum())} deals); "
          f"features in {t_feat:.0f} s ==")
    print(f"simulator deal rate: mean {np.nanmean(sim[y == 1]):.3f} on deals, "
          f"{np.nanmean(sim[y == 0]):.3f} on no deals; {int(np.isnan(sim).sum())} cases without one")
    ss = np.random.SeedSequence(0).spawn(1)[0]
    res: dict = {"n_cases": int(len(y)), "n_deals": int(y.sum()), "feature_seconds": t_feat}
    frames = {}
    for label, feats in (("without", FEATURES), ("with", CANDIDATE_FEATURES)):
        t1 = time.perf_counter()
        df = loo_deal_forecasts(table, features=feats)
        dt = time.perf_counter() - t1
        sc, _ = score_deals(df, n_boot=n_boot, seed=ss)
        cal = sc["probability"]
        frames[label] = df
        res[label] = {"features": list(feats), "seconds": dt, **{k: cal[k] for k in (
            "brier", "log_loss", "brier_skill", "ece", "min", "max")}, "intervals": cal["intervals"]}
        print(f"{label:8s} the simulator rate: Brier {cal['brier']:.4f}{_ci(cal['intervals']['brier'])}  "
              f"log loss {cal['log_loss']:.4f}{_ci(cal['intervals']['log_loss'])}  Brier skill "
              f"{cal['brier_skill']:+.4f}{_ci(cal['intervals']['brier_skill'])}  "
              f"range {cal['min']:.3f}-{cal['max']:.3f}  ({dt:.1f} s)")
    both = frames["with"][["case", "deal", "probability"]].assign(
        without=frames["without"]["probability"], simulator_rate=sim)
    both = both.assign(confidence=(both["probability"] - 0.5).abs(),
                       right=(both["probability"] >= 0.5) == (both["deal"] == 1))
    print("most confident forecasts with the simulator rate (nested LOO):")
    for _, r in both.sort_values("confidence", ascending=False).head(10).iterrows():
        print(f"  {r['case']:34s} p={r['probability']:.3f} (without {r['without']:.3f}) "
              f"deal={bool(r['deal'])!s:5s} {'right' if r['right'] else 'WRONG'} "
              f"simulator rate {r['simulator_rate']:.3f}")
    print(f"share right at 0.5: with {both['right'].mean():.3f}, without "
          f"{((both['without'] >= 0.5) == (both['deal'] == 1)).mean():.3f}")
    res["cases"] = both.drop(columns="confidence").to_dict(orient="records")
    p0, p1 = frames["without"]["probability"].to_numpy(), frames["with"]["probability"].to_numpy()
    q0 = np.clip(p0, scores.LOG_LOSS_EPS, 1 - scores.LOG_LOSS_EPS)
    q1 = np.clip(p1, scores.LOG_LOSS_EPS, 1 - scores.LOG_LOSS_EPS)
    d_ll = -(y * np.log(q1) + (1 - y) * np.log1p(-q1)) + (y * np.log(q0) + (1 - y) * np.log1p(-q0))
    d_br = (p1 - y) ** 2 - (p0 - y) ** 2
    for name, d in (("log loss", d_ll), ("Brier", d_br)):
        lo, hi = scores.case_bootstrap(lambda ix, _d=d: float(_d[ix].mean()), len(y), n_boot=n_boot,
                                       seed=ss)
        res[f"with_minus_without_{name.replace(' ', '_').lower()}"] = [float(d.mean()), lo, hi]
        print(f"with - without, {name}: {d.mean():+.4f} [{lo:+.4f}, {hi:+.4f}] (negative: the feature helps)")
    adopt = res["with"]["log_loss"] < res["without"]["log_loss"] and res["with"]["brier"] < res["without"]["brier"]
    res["adopt"] = bool(adopt)
    print("decision rule (pre-specified): adopt only if both log loss and Brier improve out of "
          f"sample -> {'ADOPT' if adopt else 'DO NOT ADOPT'}")
    if out is not None:
        out.write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {out}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=Path, default=ROOT / "cases")
    ap.add_argument("--reference", type=Path, default=ROOT.parent / "shared" / "reference" / "cases")
    ap.add_argument("--n-boot", type=int, default=1000)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--plot", type=Path)
    ap.add_argument("--features", choices=("shipped", "adopted"), default="shipped")
    ap.add_argument("--compare-simulator", action="store_true",
                    help="only the with/without comparison of the simulator's deal rate")
    ap.add_argument("--compare-json", type=Path)
    args = ap.parse_args()
    cases = load_cases([args.cases]) + builtin_cases()
    if args.reference.is_dir():
        ref = [c for c in load_cases([args.reference]) if c.targets[0].cluster not in DUPLICATE_REFERENCE]
        cases += ref
        print(f"reference cases: {len(ref)} rows from {args.reference} "
              f"({', '.join(sorted(DUPLICATE_REFERENCE))} left out: same as the built-in)")
    else:
        print(f"reference folder {args.reference} not found: library and built-ins only")
    if args.compare_simulator:
        compare_simulator(cases, n_boot=args.n_boot, out=args.compare_json)
        return
    t0 = time.perf_counter()
    from detente.backtest.calibration import MODEL_FEATURES

    feats = MODEL_FEATURES if args.features == "adopted" else None
    tr = score_cases(cases, seed=0, n_boot=args.n_boot, features=feats)
    print(f"scored {len(cases)} cases in {time.perf_counter() - t0:.1f} s; deal features: "
          f"{', '.join(tr.summary['features'])}")
    report(tr)
    if args.json:
        args.json.write_text(json.dumps(tr.to_dict(), indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    if args.plot:
        plot(tr, args.plot)


if __name__ == "__main__":
    main()
