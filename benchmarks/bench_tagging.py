"""CPU throughput of the tagging stage: our ONNX int8 path vs ``transformers.pipeline("text-classification")``.

Both run the same encoder (architecture, weights of the base, tokenizer) on the same sentences: real app-review
sentences from ``../shared/data/app-reviews`` when present (split with our segmenter), generated ones otherwise.
Prints sentences/s of each and their ratio, from one run:

    python benchmarks/bench_tagging.py                       # newest model under .vocmine, or a quick one
    python benchmarks/bench_tagging.py --model-dir .vocmine/models/<version> --sentences 2000 --threads 2

Measured: (1) the classifier alone (tokenise, length-sorted dynamically padded batches, ONNX int8, decisions);
(2) the whole tagging stage on a temporary store (read pending sentences, classify with the priors read as trained,
as the default settings do, write predictions, and the taxonomy's rule evidence when ``--rules``), beside the same
stage with the sentiment priors of each batch adapted (``classifier.adapt_sentiment_priors: 200``); (3) the
baseline: the pipeline with default settings (one text per forward pass), truncating at the same max_length.
A model trained briefly is as fast as a fully trained one: speed depends on the architecture, not the weights.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def shared_data() -> Path:
    return Path(os.environ.get("VOCMINE_SHARED_DATA", REPO.parent / "shared" / "data"))


def review_sentences(limit: int, *, seed: int = 7) -> tuple[list[str], str]:
    """Real review sentences (app-reviews) when the shared data is there, else generated review-like ones."""
    from pipeline.segment import Segmenter
    from pipeline.text import normalise

    path = shared_data() / "app-reviews" / "asana_google_play.csv"
    if path.is_file():
        with path.open(encoding="utf-8", newline="") as handle:
            texts = [normalise(row["Content"]) for row in csv.DictReader(handle)]
        segmenter = Segmenter()
        sentences = [t[s:e] for t, spans in zip(texts, segmenter.split_many([(t, "en") for t in texts]), strict=True)
                     for s, e in spans]  # fmt: skip
        source = f"{len(sentences)} real app-review sentences ({path.name})"
    else:
        rng = random.Random(seed)
        parts = (["The support team", "Our CSM", "Onboarding", "The app", "Billing", "The new pricing"],
                 ["was", "is", "has been", "felt"],
                 ["great and fast", "slow to answer tickets", "confusing after the update", "worth every cent",
                  "a nightmare when I tried to cancel", "fine, nothing special"])  # fmt: skip
        sentences = [" ".join(rng.choice(p) for p in parts) + "." for _ in range(2_000)]
        source = "generated review-like sentences (shared data not found)"
    rng = random.Random(seed)
    picked = [rng.choice(sentences) for _ in range(limit)] if len(sentences) < limit else sentences[:limit]
    return picked, source


def model_dir_for(args: argparse.Namespace) -> Path:
    """``--model-dir``, else the newest model (the main member of a routed one), else a quick one trained here."""
    from models.registry import latest_model_dir
    from models.routed import is_routed, member_dirs
    from pipeline.config import load_settings

    if args.model_dir:
        return Path(args.model_dir)
    settings = load_settings([REPO / "configs" / "demo.yaml"], [f"paths.data_dir={args.data_dir}"])
    found = latest_model_dir(settings.paths.models_dir)
    if found is not None and is_routed(found):
        members = member_dirs(found)
        print(f"{found.name} is routed: timing its main member (members: {', '.join(members)}; --model-dir picks one)")
        return members["main"]
    if found is not None:
        return found
    from models.train import train_from_settings

    print(f"no model under {args.data_dir}: training a quick {args.base} model (1 epoch, 64 examples) for timing")
    quick = load_settings(
        [REPO / "configs" / "demo.yaml"],
        [f"paths.data_dir={args.data_dir}", f"classifier.base_model={args.base}", "classifier.epochs=1",
         "classifier.max_train_examples=64", "classifier.use_weak_labels=false", "classifier.routes=[]"],
    )  # fmt: skip
    return train_from_settings(quick).model_dir


def rate(n: int, seconds: float) -> float:
    return n / seconds if seconds > 0 else float("inf")


def warm_up(classifier, sentences: list[str], *, batch_size: int = 32) -> None:
    """One untimed call, with every sentence also scored by the recheck file if there is one (so that neither
    session's first-run set-up lands in the timing); the recheck counter restarts at zero."""
    margin = classifier.recheck_margin
    classifier.recheck_margin = 1.01 if margin else 0.0
    classifier.predict(sentences[:64], batch_size=batch_size)
    classifier.recheck_margin, classifier.rechecked = margin, 0


def bench_classifier(
    model_dir: Path, sentences: list[str], *, batch_size: int, threads: int, repeat: int = 1
) -> tuple[list[float], float]:
    """Sentences/s of each of ``repeat`` passes, and the share of sentences the recheck file scored again."""
    from models.predict import Classifier

    classifier = Classifier.load(model_dir, runtime="onnx", threads=threads)  # int8, plus its recheck file if kept
    warm_up(classifier, sentences, batch_size=batch_size)
    rates = []
    for _ in range(repeat):
        start = time.perf_counter()
        classifier.predict(sentences, batch_size=batch_size)
        rates.append(rate(len(sentences), time.perf_counter() - start))
    return rates, classifier.rechecked / (repeat * len(sentences))


def bench_stage(
    model_dir: Path,
    sentences: list[str],
    *,
    rules: bool,
    work: Path,
    runtime: str = "onnx",
    batch_size: int = 32,
    threads: int = 2,
    adapt: bool = True,
) -> float:
    """tag_pending on a temporary store holding the sentences (store reads and writes included); ``adapt``: the
    sentiment priors adapted per tagging batch (else read as trained, as the default settings do)."""
    import pyarrow as pa

    from models.predict import Classifier
    from pipeline.config import load_settings
    from pipeline.run import tag_pending
    from pipeline.store import Store

    settings = load_settings(
        [REPO / "configs" / "demo.yaml"],
        [f"paths.data_dir={work}", f"nlp.rule_evidence={str(rules).lower()}",
         f"classifier.inference_batch_size={batch_size}", f"nlp.tag_batch={max(2_048, batch_size)}",
         f"classifier.adapt_sentiment_priors={200 if adapt else 'null'}"],
    )  # fmt: skip
    n = len(sentences)
    table = pa.table({
        "source": ["bench"] * n, "external_id": [f"r{i // 3}" for i in range(n)], "idx": [i % 3 for i in range(n)],
        "section": ["body"] * n, "text": sentences, "text_redacted": sentences, "start_char": [0] * n,
        "end_char": [len(s) for s in sentences], "language": ["en"] * n, "feedback_hash": ["h"] * n,
    })  # fmt: skip
    classifier = Classifier.load(model_dir, runtime=runtime, threads=threads)  # type: ignore[arg-type]
    warm_up(classifier, sentences)
    with Store(settings.paths.store_path) as store:
        store.con.register("bench_sentences", table)
        store.con.execute("INSERT INTO sentences SELECT * FROM bench_sentences")
        start = time.perf_counter()
        tagged = tag_pending(store, classifier, settings)
        seconds = time.perf_counter() - start
    assert tagged == n, (tagged, n)
    return rate(n, seconds)


def bench_baseline(model_dir: Path, sentences: list[str]) -> float:
    """``transformers.pipeline("text-classification")`` with defaults on the same encoder and tokenizer."""
    import transformers
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from models.registry import read_meta

    meta = read_meta(model_dir)
    model = AutoModelForSequenceClassification.from_pretrained(meta["base_dir"], num_labels=3)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    classify = transformers.pipeline("text-classification", model=model, tokenizer=tokenizer, device="cpu")
    # Defaults except truncation to the model's max_length (ours truncates too; long sentences would crash it).
    options = {"truncation": True, "max_length": int(meta["max_length"])}
    classify(sentences[:8], **options)  # warm-up
    start = time.perf_counter()
    classify(sentences, **options)
    return rate(len(sentences), time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model-dir", help="A trained vocmine model directory (default: the newest, or train one).")
    parser.add_argument("--data-dir", default=str(REPO / ".vocmine"))
    parser.add_argument("--base", default="multilingual-e5-small", help="Base for the quick model when none exists.")
    parser.add_argument("--sentences", type=int, default=1_500)
    parser.add_argument("--baseline-sentences", type=int, default=300, help="The baseline is slow: fewer suffice.")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="Threads for both ONNX Runtime and torch.")
    parser.add_argument("--rules", action="store_true", help="Include the rule evidence in the stage timing.")
    parser.add_argument("--repeat", type=int, default=3, help="Classifier passes; the median is reported.")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    model_dir = model_dir_for(args)
    from models.export import INT8_FILE, export_info, export_onnx

    if not (model_dir / INT8_FILE).is_file():
        export_onnx(model_dir, quantize=True)
    sentences, source = review_sentences(args.sentences)
    print(f"model {model_dir.name} ({model_dir}); {source}; {args.threads} threads")
    print(f"export: {export_info(model_dir)}")
    rates, rechecked = bench_classifier(model_dir, sentences, batch_size=args.batch_size, threads=args.threads,
                                        repeat=args.repeat)  # fmt: skip
    ours = statistics.median(rates)
    runs: dict[bool, list[float]] = {False: [], True: []}
    for adapt in (False, True) * 2:  # interleaved, so neither setting gets the warm store alone; best of two each
        with tempfile.TemporaryDirectory() as work:
            runs[adapt].append(bench_stage(model_dir, sentences, rules=args.rules, work=Path(work), adapt=adapt,
                                           batch_size=args.batch_size, threads=args.threads))  # fmt: skip
    stages = {adapt: max(rates) for adapt, rates in runs.items()}
    stage = stages[False]
    base = bench_baseline(model_dir, sentences[: args.baseline_sentences])
    print(f"classifier, ONNX int8, sorted+padded batches : {ours:8.1f} sentences/s  ({len(sentences)} sentences, "
          f"{rechecked:.1%} rechecked; median of {', '.join(f'{r:.0f}' for r in rates)})")  # fmt: skip
    print(f"tagging stage on a store{' + rule evidence' if args.rules else ''}             : {stage:8.1f} sentences/s"
          f"  (priors as trained; adapted: {stages[True]:.1f}/s, "
          f"ratio {stages[True] / stage:.3f})")  # fmt: skip
    print(f"transformers.pipeline defaults (baseline)   : {base:8.1f} sentences/s  ({args.baseline_sentences})")
    print(f"ratio classifier / baseline: {ours / base:.2f}x; tagging stage / baseline: {stage / base:.2f}x")


if __name__ == "__main__":
    main()
