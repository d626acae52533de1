"""What blending a routed language costs: English sentences through a routed model with its blend (the route's model
and the main model both read them, ``models.blending``) beside the same model with the blend left out (the route's
model alone, the baseline), ONNX, same run, interleaved; and how often the blended ONNX decisions agree with the
blended torch decisions (all three heads).

    python benchmarks/bench_blending.py                       # newest routed model under .vocmine
    python benchmarks/bench_blending.py --model-dir .vocmine/models/<version> --sentences 1000 --threads 2
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))


def rate(model, sentences: list[str], langs: list[str | None]) -> float:
    start = time.perf_counter()
    model.decisions(sentences, langs=langs)
    return len(sentences) / (time.perf_counter() - start)


def agreement(a, b) -> float:
    """Share of sentences whose service set, sentiment and sharp edge all agree."""
    same = (a.service == b.service).all(axis=1) & (a.sentiment == b.sentiment) & (a.sharp_edge == b.sharp_edge)
    return float(same.mean())


def main() -> None:
    from bench_tagging import review_sentences

    from models.registry import latest_model_dir
    from models.routed import RoutedClassifier
    from pipeline.config import load_settings

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model-dir", type=Path)
    parser.add_argument("--sentences", type=int, default=1_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    settings = load_settings([REPO / "configs" / "demo.yaml"])
    model_dir = args.model_dir or latest_model_dir(settings.paths.models_dir)
    blended = RoutedClassifier.load(model_dir, runtime="onnx", threads=args.threads)
    if not blended.blends:
        raise SystemExit(f"{model_dir} blends no language: nothing to compare")
    lang = next(iter(blended.blends))
    alone = RoutedClassifier(
        blended.model_dir, main=blended.main, routes=blended.routes, languages=blended.languages, blends={}
    )
    sentences, source = review_sentences(args.sentences)
    langs: list[str | None] = [lang] * len(sentences)
    print(f"model {model_dir.name}; blend of {lang}: {blended.blends[lang].weights}; {source}; {args.threads} threads")
    rate(blended, sentences[:64], langs[:64])  # warm-up
    runs: dict[str, list[float]] = {"alone": [], "blended": []}
    for _ in range(args.repeat):  # interleaved, best of each
        runs["alone"].append(rate(alone, sentences, langs))
        runs["blended"].append(rate(blended, sentences, langs))
    best = {name: max(r) for name, r in runs.items()}
    print(f"route's model alone (baseline): {best['alone']:7.1f} sentences/s")
    ratio = best["blended"] / best["alone"]
    print(f"blended with the main model   : {best['blended']:7.1f} sentences/s  (ratio {ratio:.2f})")
    torch_model = RoutedClassifier.load(model_dir, runtime="torch")
    onnx_decisions, torch_decisions = (
        blended.decisions(sentences, langs=langs),
        torch_model.decisions(sentences, langs=langs),
    )
    alone_decisions = alone.decisions(sentences, langs=langs)
    print(
        f"blended ONNX vs blended torch decisions agree on {agreement(onnx_decisions, torch_decisions):.1%}; "
        f"blend vs route alone (ONNX) on {agreement(onnx_decisions, alone_decisions):.1%}, "
        f"sentiment on {np.mean(onnx_decisions.sentiment == alone_decisions.sentiment):.1%}"
    )


if __name__ == "__main__":
    main()
