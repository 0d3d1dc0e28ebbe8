"""A small hand-made case folder (values chosen so every metric can be computed by hand)."""

from __future__ import annotations

from pathlib import Path

OUTCOMES = """case,issue,outcome,scale_min,scale_max,outcome_date,ex_ante,confidence,mapping_note,source,outcome_low,outcome_high,input_file,status_quo
t1,a,2.5,0,10,2020-01-01,yes,high,note a,src a,2,5,inputs/t1__a.csv,
t1,b,8,0,10,2020-01-01,yes,low,note b,src b,8,9,inputs/t1__b.csv,
t2,x,70,0,100,2021-05-05,no,medium,note x,src x,,,inputs/t2__x.csv,40
"""
INPUTS = {
    # weighted mean (power x salience): (0*2 + 9*0.5 + 3*0.5) / 3 = 2.0; plain mean 4
    "t1__a.csv": "actor,capability,position,salience\nA,2,0,1.0\nB,1,9,0.5\nC,1,3,0.5\n",
    # weighted mean: (10*1 + 0*1 + 4*0) / 2 = 5; plain mean 14/3
    "t1__b.csv": "actor,capability,position,salience\nA,2,10,0.5\nB,1,0,1.0\nC,1,4,0.0\n",
    # weighted mean: (20*1 + 80*3) / 4 = 65; plain mean 50
    "t2__x.csv": "actor,capability,position,salience\nP,1,20,1\nQ,3,80,1\n",
}


def write_folder(root: Path, outcomes: str = OUTCOMES, inputs: dict[str, str] | None = None) -> Path:
    (root / "inputs").mkdir(parents=True, exist_ok=True)
    (root / "outcomes.csv").write_text(outcomes, encoding="utf-8")
    for name, text in (INPUTS if inputs is None else inputs).items():
        (root / "inputs" / name).write_text(text, encoding="utf-8")
    return root
