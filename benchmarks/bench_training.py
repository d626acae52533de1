"""What the fused AdamW (``classifier.fused_optimizer``) does to training: the same fine-tuning run
(``models.train.train``: the configured base, seeded, one epoch over a fixed hash-ordered sample of gold training
sentences, no dev pass) with the default unfused optimizer (the baseline) and with the fused one, each in a fresh
process, interleaved; prints seconds per run, the ratio, and which runs trained the same weights (SHA-256 of the
saved weights file): each setting is deterministic, the two differ in the last bits.

    python benchmarks/bench_training.py                             # e5-small, 2,400 sentences (150 steps), 3 rounds
    python benchmarks/bench_training.py --base all-mpnet-base-v2 --sentences 800 --rounds 2
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def train_once(base: str, sentences: int, out: Path, *, fused: bool) -> dict[str, object]:
    """One training run in this process: seconds of ``train`` and the SHA-256 of the weights it saved."""
    from models.data import assemble, read_gold_dir, text_key
    from models.network import WEIGHTS_FILE
    from models.train import train
    from pipeline.config import load_settings
    from pipeline.taxonomy import load_taxonomy

    settings = load_settings([REPO / "configs" / "demo.yaml"])
    taxonomy = load_taxonomy(settings.paths.taxonomy)
    gold = assemble(read_gold_dir(settings.classifier.gold_dir, taxonomy=taxonomy), max_train_examples=None).train
    sample = sorted(gold, key=lambda ex: text_key(ex.text))[:sentences]
    alone = {"base_model": base, "routes": [], "main_learns_routed": False, "blend_heads": [], "epochs": 1}
    classifier = settings.classifier.model_copy(update={**alone, "fused_optimizer": fused})
    result = train(
        sample, settings=classifier, taxonomy=taxonomy, out_root=out, dev=[],
        base_cache=settings.paths.data_dir / "base",
    )  # fmt: skip
    digest = hashlib.sha256((result.model_dir / WEIGHTS_FILE).read_bytes()).hexdigest()
    return {"seconds": result.seconds, "sha256": digest, "steps": -(-len(sample) // classifier.batch_size)}


def run_child(base: str, sentences: int, *, fused: bool) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, __file__, "--child", "--base", base, "--sentences", str(sentences), "--out", out]
        done = subprocess.run([*cmd, *(["--fused"] if fused else [])], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", default="multilingual-e5-small")
    parser.add_argument("--sentences", type=int, default=2_400)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--fused", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.child:
        print(json.dumps(train_once(args.base, args.sentences, args.out, fused=args.fused)))
        return
    runs: dict[str, list[dict[str, object]]] = {"unfused AdamW": [], "fused AdamW": []}
    for _ in range(args.rounds):  # interleaved: the machine's speed drifts
        runs["unfused AdamW"].append(run_child(args.base, args.sentences, fused=False))
        runs["fused AdamW"].append(run_child(args.base, args.sentences, fused=True))
    steps = runs["fused AdamW"][0]["steps"]
    print(f"{args.base}: {args.sentences} gold sentences, 1 epoch ({steps} steps), {args.rounds} interleaved rounds")
    median = {}
    for name, results in runs.items():
        seconds = [float(r["seconds"]) for r in results]  # type: ignore[arg-type]
        median[name] = statistics.median(seconds)
        shown = ", ".join(f"{s:.1f}" for s in seconds)
        print(f"  {name:14s} {median[name]:7.1f} s median ({shown})")
    print(f"  fused / unfused: {median['fused AdamW'] / median['unfused AdamW']:.3f} of the time")
    digests = {name: {str(r["sha256"]) for r in results} for name, results in runs.items()}
    same = {name: len(d) == 1 for name, d in digests.items()}
    print(
        f"  each setting trains the same weights every run: {same}; the two settings the same weights: "
        f"{digests['fused AdamW'] == digests['unfused AdamW']}"
    )


if __name__ == "__main__":
    main()
