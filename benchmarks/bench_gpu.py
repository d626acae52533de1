"""GPU throughput of real review sentences, end to end (text -> labels), and its ratio to the raw forward ceiling.

One run measures, on the same sentences and model:
  1. tokenisation alone (format and fast tokenizer over every sentence, in this process),
  2. the forward-pass ceiling: pre-tokenised, length-sorted, padded batches already on the GPU, bf16, no decisions,
  3. end to end, ``Classifier.decisions`` (format, tokenise, sort, pad, copy, forward, calibrate, decide) on the
     texts with their languages: serially in this process, and with the text prepared by worker processes while the
     model runs (``classifier.prepare_workers``, ``models.streaming``),
  4. ``Classifier.predict`` with the workers: the same, plus one Python record per sentence with its 15 scores.

    python benchmarks/bench_gpu.py --model-dir .vocmine/models/<version>/<e5-small member> --sentences 500000

Sentences: real review sentences of ``../shared/data`` (English app reviews and SemEval laptops, Japanese JRTE,
Indonesian SmSA and Tokopedia reviews) split by our segmenter, each with its language, repeated in shuffled order to
the count asked for (generated ones when the shared data is absent). ``--write-sentences FILE`` saves them as JSONL
for a machine without the segmenter's dependencies; ``--sentences-file FILE`` reads them back. Target: >= 100,000
sentences/s end to end. ``--device cpu --sentences 3000`` runs the same code as a smoke test without a GPU.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

Sentence = tuple[str, str]  # (text, language)


def timed(fn, *, sync) -> float:
    sync()
    start = time.perf_counter()
    fn()
    sync()
    return time.perf_counter() - start


def corpus_sentences() -> tuple[list[Sentence], str]:
    """Every distinct sentence of the shared review corpora, with its language (empty when they are absent)."""
    import csv

    from bench_tagging import shared_data

    from models.readers import read_jrte, read_semeval, read_smsa, read_star_ratings
    from pipeline.segment import Segmenter

    root = shared_data()
    texts: list[Sentence] = []
    if (path := root / "app-reviews" / "asana_google_play.csv").is_file():
        with path.open(encoding="utf-8", newline="") as handle:
            texts += [(row["Content"], "en") for row in csv.DictReader(handle)]
    for name in ("train.xml", "test.xml"):
        if (path := root / "semeval16-laptops" / name).is_file():
            texts += [(e.text, "en") for e in read_semeval(path, include_out_of_scope=True)]
    if (path := root / "jrte" / "pn_train_dev.tsv").is_file():
        texts += [(e.text, "ja") for e in read_jrte(path)]
    for path in sorted((root / "indonlu").glob("smsa_*.tsv")):
        texts += [(e.text, "id") for e in read_smsa(path)]
    if (path := root / "tokopedia" / "data_tokopedia_reviews.csv").is_file():
        texts += [(e.text, "id") for e in read_star_ratings(path, lang="id")]
    spans = Segmenter().split_many(texts)
    found = {(text[s:e], lang): None for (text, lang), cut in zip(texts, spans, strict=True) for s, e in cut}
    counts = {lang: sum(1 for _, code in found if code == lang) for lang in ("en", "ja", "id")}
    return list(found), f"{len(found):,} distinct real review sentences ({counts})"


def review_sentences(limit: int, *, seed: int = 7) -> tuple[list[Sentence], str]:
    found, source = corpus_sentences()
    if not found:
        from bench_tagging import review_sentences as generated

        texts, source = generated(2_000)
        found = [(text, "en") for text in texts]
    return drawn(found, limit, seed=seed), source


def drawn(found: list[Sentence], limit: int, *, seed: int = 7) -> list[Sentence]:
    """``limit`` sentences: ``found`` in shuffled order, again and again."""
    if not found and limit > 0:
        raise SystemExit("no sentences to draw from: the sentences file or corpora are empty")
    rng = random.Random(seed)
    picked: list[Sentence] = []
    while len(picked) < limit:
        picked += rng.sample(found, len(found))
    return picked[:limit]


def read_sentences(path: Path, limit: int) -> tuple[list[Sentence], str]:
    import lzma

    opener = lzma.open if path.suffix == ".xz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        found = [(row["text"], row["lang"]) for row in map(json.loads, handle)]
    return drawn(found, limit), f"{len(found):,} distinct sentences from {path.name}"


def forward_seconds(model, ids: list, *, batch: int, pad_id: int) -> float:
    """Seconds of the forward passes alone over pre-tokenised, length-sorted, padded batches already on device."""
    import torch

    from models.batching import iter_padded

    device = next(model.parameters()).device
    on_gpu = device.type == "cuda"
    batches = [(torch.from_numpy(x).to(device), torch.from_numpy(m).to(device))
               for _, x, m in iter_padded(ids, batch_size=batch, pad_id=pad_id)]  # fmt: skip

    @torch.inference_mode()
    def forward_all() -> None:
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=on_gpu):
            for input_ids, mask in batches:
                model(input_ids, mask)

    sync = torch.cuda.synchronize if on_gpu else (lambda: None)
    forward_all()  # warm-up (kernels, autotuning)
    return min(timed(forward_all, sync=sync) for _ in range(2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model-dir", help="A trained vocmine model directory (one model, not a routed set).")
    parser.add_argument("--sentences", type=int, default=500_000)
    parser.add_argument("--batch", type=int, default=2_048)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--workers", type=int, default=None, help="Prepare workers (default: all cores but one).")
    parser.add_argument("--sentences-file", type=Path, help="JSONL of {text, lang} written by --write-sentences "
                        "(.xz: compressed).")  # fmt: skip
    parser.add_argument("--write-sentences", type=Path, help="Write the distinct corpus sentences here and stop.")
    args = parser.parse_args()

    if args.write_sentences:
        found, source = corpus_sentences()
        with args.write_sentences.open("w", encoding="utf-8") as out:
            out.writelines(json.dumps({"text": t, "lang": lang}, ensure_ascii=False) + "\n" for t, lang in found)
        print(f"wrote {source} to {args.write_sentences}")
        return
    if not args.model_dir:
        parser.error("--model-dir is required")

    import numpy as np
    import torch

    from models.batching import tokenize
    from models.predict import Classifier
    from models.registry import read_meta

    model_dir = Path(args.model_dir)
    meta = read_meta(model_dir)
    if args.sentences_file:
        picked, source = read_sentences(args.sentences_file, args.sentences)
    else:
        picked, source = review_sentences(args.sentences)
    texts, langs = [t for t, _ in picked], [lang for _, lang in picked]
    on_gpu = args.device.startswith("cuda")
    sync = torch.cuda.synchronize if on_gpu else (lambda: None)
    name = torch.cuda.get_device_name() if on_gpu else "cpu"
    workers = args.workers if args.workers is not None else max((os.cpu_count() or 1) - 1, 1)
    print(f"model {meta['version']} on {name}, torch {torch.__version__}; {len(texts):,} sentences drawn from "
          f"{source}; batch {args.batch}; {workers} prepare workers of {os.cpu_count()} cores")  # fmt: skip

    serial = Classifier.load(model_dir, runtime="torch", device=args.device, prepare_workers=0)
    streamed = Classifier.load(model_dir, runtime="torch", device=args.device, prepare_workers=workers)
    fmt, tokenizer = serial.input_format, serial._tokenizer
    ids: list = []
    tokenize(tokenizer, texts[:2_000], fmt=fmt, langs=langs[:2_000])  # warm-up: lexicons, regexes
    t_tok = timed(lambda: ids.extend(tokenize(tokenizer, texts, fmt=fmt, langs=langs)), sync=sync)
    mean_tokens = float(np.mean([len(i) for i in ids]))
    t_fwd = forward_seconds(serial._model, ids, batch=args.batch, pad_id=int(meta["pad_id"]))

    def run(clf: Classifier, how: str = "decisions"):
        return getattr(clf, how)(texts, langs=langs, batch_size=args.batch)

    streamed.decisions(texts[:20_000], langs=langs[:20_000], batch_size=args.batch)  # warm-up: start the workers
    t_serial = timed(lambda: run(serial), sync=sync)
    t_streamed = min(timed(lambda: run(streamed), sync=sync) for _ in range(2))
    t_records = timed(lambda: run(streamed, "predict"), sync=sync)
    a, b = run(serial), run(streamed)
    same = np.mean((a.service == b.service).all(axis=1) & (a.sentiment == b.sentiment) & (a.sharp_edge == b.sharp_edge))
    streamed._pool.close()  # type: ignore[union-attr]

    n = len(texts)
    ceiling = n / t_fwd
    print(f"mean tokens per sentence               : {mean_tokens:8.1f}")
    print(f"format + tokenise alone, one process   : {n / t_tok:10,.0f} sentences/s")
    print(f"forward ceiling (sorted, on the device): {ceiling:10,.0f} sentences/s")
    for label, seconds in (("end to end, serial", t_serial), (f"end to end, {workers} prepare workers", t_streamed),
                           (f"records (predict), {workers} workers", t_records)):  # fmt: skip
        rate = n / seconds
        print(f"{label:39}: {rate:10,.0f} sentences/s = {rate / ceiling:.2f} of the ceiling, "
              f"{rate / 100_000:.2f}x the 100,000/s target")  # fmt: skip
    print(f"decisions equal, serial vs workers     : {same:.4%} of sentences")


if __name__ == "__main__":
    main()
