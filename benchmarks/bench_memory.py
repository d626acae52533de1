"""Peak memory (RSS) of ``vocmine process`` over N synthetic feedback records (default 1M), streamed end to end.

Synthetic records mix English, Japanese and Indonesian review sentences (1–5 per record, some pros/cons
sections, some score-only NPS rows). They are inserted in batches, then segmented, tagged and aggregated by
``process_store`` exactly as the CLI does; RSS is sampled at every progress report. Prints the peak and its ratio
to the 2 GB budget:

    python benchmarks/bench_memory.py --records 1000000                   # the full check (hours with a model)
    python benchmarks/bench_memory.py --records 50000 --classifier rules  # the streaming check, minutes

``--classifier rules`` tags with the taxonomy's rule tagger (no transformer) so the run measures the pipeline's
own memory; ``--classifier model`` uses the trained model (``--model-dir`` or the newest under --data-dir).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

BUDGET_MB = 2_048
SENTENCES = {
    "en": ["The support team answered within an hour.", "Our CSM checks in every month.",
           "Onboarding took two calls and was painless.", "They charged me twice for one seat!",
           "Cancelling was impossible without calling sales.", "The app is fast and the boards are clean.",
           "Prices went up 30% at renewal.", "Exports are only on the Business tier.", "Works fine, nothing special."],
    "ja": ["サポートの返信が早くて助かりました。", "導入支援が丁寧でした！", "解約できない。", "料金が値上げされた。",
           "画面が見やすくて使いやすい。", "無料プランだとチャットサポートが使えない。"],
    "id": ["CS-nya ramah dan cepat membalas.", "Saya ditagih dua kali bulan ini.", "Aplikasinya bagus dll. tapi mahal.",
           "Tim onboarding sangat membantu.", "Akun saya diblokir tanpa alasan.", "Lumayan buat kerja tim."],
}  # fmt: skip


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def synthetic(n: int, *, seed: int = 11) -> Iterator:
    from pipeline.records import Feedback

    rng = random.Random(seed)
    start = datetime(2025, 7, 1, tzinfo=UTC)
    weights = {"en": 55, "ja": 25, "id": 20}
    for i in range(n):
        created = start + timedelta(minutes=i)
        if i % 10 == 9:
            yield Feedback(source="nps", external_id=f"n{i}", kind="nps", product="orbitask",
                           nps_score=rng.randint(0, 10), created_at=created)  # fmt: skip
            continue
        lang = rng.choices(list(weights), weights=list(weights.values()))[0]
        body = (" " if lang != "ja" else "").join(rng.choices(SENTENCES[lang], k=rng.randint(1, 5)))
        pros = rng.choice(SENTENCES[lang]) if i % 7 == 0 else None
        yield Feedback(source="app", external_id=f"r{i}", product="orbitask", body=body, pros=pros, language=lang,
                       rating=rng.randint(1, 5), created_at=created)  # fmt: skip


def batched(items: Iterator, size: int) -> Iterator[list]:
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class RuleClassifier:
    """Tags with the taxonomy's rules (service and sharp-edge phrases, sentiment lexicon): no transformer."""

    version = "bench-rules-1"

    def __init__(self, taxonomy_path: Path) -> None:
        from models.rules import RuleTagger
        from pipeline.taxonomy import load_taxonomy

        self.tagger = RuleTagger(load_taxonomy(taxonomy_path))

    def predict(self, texts: Sequence[str], *, batch_size: int = 64) -> list:
        from models.rules import lexicon_sentiment
        from pipeline.records import SentenceTags

        out = []
        for found in self.tagger.matches_many(texts):
            labels = self.tagger.labels_of(found)
            edges = [label.split(".", 1)[1] for label in labels if label.startswith("sharp_edge.")]
            out.append(SentenceTags(
                service=tuple(label.split(".", 1)[1] for label in labels if label.startswith("service.")),
                sentiment=lexicon_sentiment(found) or "neutral", sharp_edge=edges[0] if edges else None,
            ))  # fmt: skip
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--classifier", choices=["rules", "model"], default="rules")
    parser.add_argument("--model-dir", help="Trained model for --classifier model (default: newest in --data-dir).")
    parser.add_argument("--data-dir", help="Where the store goes (default: a temporary directory, removed after).")
    parser.add_argument("--chunk-size", type=int, default=500)
    args = parser.parse_args()

    from pipeline.config import load_settings
    from pipeline.run import process_store
    from pipeline.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(args.data_dir or tmp)
        overrides = [f"paths.data_dir={data_dir}", f"paths.store={data_dir / 'bench_memory.duckdb'}",
                     f"nlp.chunk_size={args.chunk_size}", "nlp.rule_evidence=false"]  # fmt: skip
        if args.model_dir:
            overrides.append(f"classifier.model_version={Path(args.model_dir).resolve()}")
        settings = load_settings([REPO / "configs" / "demo.yaml"], overrides)
        start = time.perf_counter()
        with Store(settings.paths.store_path) as store:
            for batch in batched(synthetic(args.records), 20_000):
                store.upsert_feedback(batch)
        inserted = time.perf_counter() - start
        print(f"inserted {args.records:,} synthetic records in {inserted:.0f}s; RSS {rss_mb():.0f} MB")

        classifier = RuleClassifier(settings.paths.taxonomy) if args.classifier == "rules" else None
        timeline: list[tuple[str, int, int, float]] = []
        last = [0.0]

        def progress(stage: str, done: int, total: int) -> None:
            timeline.append((stage, done, total, rss_mb()))
            if time.perf_counter() - last[0] > 30 or done == total:
                last[0] = time.perf_counter()
                print(f"  {stage:<9} {done:>10,}/{total:<10,} RSS {timeline[-1][3]:6.0f} MB  peak {peak_mb():6.0f} MB")

        start = time.perf_counter()
        result = process_store(settings, classifier=classifier, progress=progress)
        seconds = time.perf_counter() - start
    peak = peak_mb()
    print(result.summary())
    verdict = "within" if peak < BUDGET_MB else "OVER"
    print(f"records {args.records:,}, classifier {args.classifier}, {seconds:.0f}s: peak RSS {peak:.0f} MB "
          f"= {peak / BUDGET_MB:.2f} of the {BUDGET_MB} MB budget ({verdict})")  # fmt: skip
    by_stage = {}
    for stage, _, _, rss in timeline:
        by_stage[stage] = max(by_stage.get(stage, 0.0), rss)
    print("max RSS per stage: " + ", ".join(f"{s} {mb:.0f} MB" for s, mb in by_stage.items()))


if __name__ == "__main__":
    main()
