"""GPU throughput of real review sentences, end to end (text -> labels), and its ratio to the raw forward ceiling.

One run measures, on the same sentences and model:
  1. tokenisation alone (the fast tokenizer over every sentence),
  2. the forward-pass ceiling: pre-tokenised, length-sorted, padded batches already on the GPU, bf16, no decisions,
  3. end to end: ``Classifier.predict`` (tokenise, sort, pad, copy, forward, calibrate, decide) on the texts,
  4. with ``--stage``: the whole tagging stage on a temporary store (reads, classify, writes predictions).

    python benchmarks/bench_gpu.py --model-dir .vocmine/models/<version> --sentences 200000 --batch 2048

Sentences: the real app reviews of ``../shared/data/app-reviews`` split by our segmenter, repeated to the count
asked for (generated ones when the shared data is absent). Target: >= 100,000 sentences/s end to end.
``--device cpu --sentences 500`` runs the same code as a smoke test on a machine without a GPU.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def timed(fn, *, sync) -> float:
    sync()
    start = time.perf_counter()
    fn()
    sync()
    return time.perf_counter() - start


def forward_seconds(model_dir: Path, ids: list, *, device: str, batch: int, pad_id: int) -> float:
    """Seconds of the forward passes alone over pre-tokenised, length-sorted, padded batches already on device."""
    import torch

    from models.batching import iter_padded
    from models.labels import LabelSpace
    from models.network import MultiTaskModel

    on_gpu = device.startswith("cuda")
    model = MultiTaskModel.load(model_dir, LabelSpace.load(model_dir)).to(device).eval()
    batches = [(torch.from_numpy(x).to(device), torch.from_numpy(m).to(device))
               for _, x, m in iter_padded(ids, batch_size=batch, pad_id=pad_id)]  # fmt: skip

    @torch.inference_mode()
    def forward_all() -> None:
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=on_gpu):
            for input_ids, mask in batches:
                model(input_ids, mask)

    sync = torch.cuda.synchronize if on_gpu else (lambda: None)
    forward_all()  # warm-up (kernels, autotuning)
    return timed(forward_all, sync=sync)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model-dir", required=True, help="A trained vocmine model directory.")
    parser.add_argument("--sentences", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=2_048)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--stage", action="store_true", help="Also time the tagging stage on a temporary store.")
    args = parser.parse_args()

    import numpy as np
    import torch
    from bench_tagging import bench_stage, review_sentences

    from models.predict import Classifier, load_tokenizer
    from models.registry import read_meta

    model_dir = Path(args.model_dir)
    meta = read_meta(model_dir)
    sentences, source = review_sentences(args.sentences)
    on_gpu = args.device.startswith("cuda")
    sync = torch.cuda.synchronize if on_gpu else (lambda: None)
    name = torch.cuda.get_device_name() if on_gpu else "cpu"
    print(f"model {meta['version']} on {name}; {len(sentences):,} sentences: {source}; batch {args.batch}")

    tokenizer = load_tokenizer(model_dir, max_length=int(meta["max_length"]))
    prefix = meta.get("text_prefix", "")
    ids: list = []
    texts = [prefix + s for s in sentences]
    t_tok = timed(lambda: ids.extend(e.ids for e in tokenizer.encode_batch(texts)), sync=sync)
    mean_tokens = float(np.mean([len(i) for i in ids]))

    t_fwd = forward_seconds(model_dir, ids, device=args.device, batch=args.batch, pad_id=int(meta["pad_id"]))

    classifier = Classifier.load(model_dir, runtime="torch", device=args.device)
    classifier.predict(sentences[: args.batch], batch_size=args.batch)  # warm-up
    t_e2e = timed(lambda: classifier.predict(sentences, batch_size=args.batch), sync=sync)

    n = len(sentences)
    e2e, ceiling = n / t_e2e, n / t_fwd
    print(f"mean tokens per sentence      : {mean_tokens:8.1f}")
    print(f"tokenisation alone            : {n / t_tok:10,.0f} sentences/s")
    print(f"forward ceiling (bf16, sorted): {ceiling:10,.0f} sentences/s")
    print(f"end to end text -> labels     : {e2e:10,.0f} sentences/s")
    print(f"ratio end to end / ceiling    : {e2e / ceiling:.2f}; vs the 100,000/s target: {e2e / 100_000:.2f}x")
    if args.stage:
        with tempfile.TemporaryDirectory() as work:
            stage = bench_stage(model_dir, sentences, rules=False, work=Path(work), runtime="torch",
                                batch_size=args.batch)  # fmt: skip
        print(f"tagging stage on a store      : {stage:10,.0f} sentences/s ({stage / ceiling:.2f} of the ceiling)")


if __name__ == "__main__":
    main()
