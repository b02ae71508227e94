"""Candidate-claim extraction measured against the annotated seed article.

Prints precision, recall and F1 of the check-worthy class at the default
threshold and over a sweep, for each segmenter, the seconds per 1,000
sentences, and the misses and false alarms so their common causes show.

    python -m benchmarks.extraction [--threshold 0.5] [--show-errors]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from tracker.intake.extract import DEFAULT_THRESHOLD, SEGMENTERS, extract_candidates

ROOT = Path(__file__).resolve().parent.parent
ANNOTATION = Path(__file__).with_name("data") / "seed_annotation.json"


def load() -> tuple[str, list[dict]]:
    data = json.loads(ANNOTATION.read_text(encoding="utf-8"))
    text = (ROOT / data["article"]).read_bytes().decode("utf-8")
    return text, data["sentences"]


def evaluate(text: str, gold: list[dict], segmenter: str, threshold: float) -> dict:
    candidates = extract_candidates(text, segmenter=segmenter)
    positives = [c for c in candidates if c.score >= threshold]
    wanted = [g for g in gold if g["label"] == "checkworthy"]

    def overlaps(a0: int, a1: int, b0: int, b1: int) -> bool:
        return a0 < b1 and b0 < a1

    tp_pred = [
        c for c in positives if any(overlaps(c.start, c.end, g["start"], g["end"]) for g in wanted)
    ]
    found = [
        g for g in wanted if any(overlaps(c.start, c.end, g["start"], g["end"]) for c in positives)
    ]
    precision = len(tp_pred) / len(positives) if positives else 0.0
    recall = len(found) / len(wanted) if wanted else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "candidates": len(candidates),
        "positives": len(positives),
        "misses": [g for g in wanted if g not in found],
        "false_alarms": [c for c in positives if c not in tp_pred],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--show-errors", action="store_true")
    args = parser.parse_args()
    text, gold = load()
    print(
        f"annotated sentences: {len(gold)}, check-worthy: "
        f"{sum(g['label'] == 'checkworthy' for g in gold)}"
    )
    for name in SEGMENTERS:
        r = evaluate(text, gold, name, args.threshold)
        rounds = 20
        start = time.perf_counter()
        for _ in range(rounds):
            extract_candidates(text, segmenter=name)
        per_1000 = (time.perf_counter() - start) / rounds / r["candidates"] * 1000
        print(
            f"[{name}] threshold {args.threshold}: precision {r['precision']:.3f} "
            f"recall {r['recall']:.3f} F1 {r['f1']:.3f} "
            f"({r['positives']} of {r['candidates']} candidates above threshold); "
            f"{per_1000:.3f} s per 1,000 sentences"
        )
    print(
        "threshold sweep (pysbd): "
        + "  ".join(
            f"{t:.2f}: P {e['precision']:.2f} R {e['recall']:.2f}"
            for t in (0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6)
            for e in [evaluate(text, gold, "pysbd", t)]
        )
    )
    if args.show_errors:
        r = evaluate(text, gold, "pysbd", args.threshold)
        print("\nmissed check-worthy sentences:")
        for g in r["misses"]:
            print(f"  - {g['text'][:110]}")
        print("\nfalse alarms:")
        for c in r["false_alarms"]:
            label = next((g["label"] for g in gold if g["start"] == c.start), "?")
            print(f"  - [{c.score:.2f} {label}] {c.quote[:100]}  {c.reasons[:3]}")


if __name__ == "__main__":
    main()
