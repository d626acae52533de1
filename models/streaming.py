"""Text -> logits at accelerator speed: sentences prepared in worker processes while the model runs.

On a GPU, one process that formats and tokenises sentences holds the model back: on one core of the 2-core
development machine, ``InputFormat.apply`` and e5-small's unigram tokenizer take 85-120 µs a sentence on a mix of
real English, Japanese and Indonesian review sentences (8,500-12,000 sentences/s), a tenth of the 100,000/s that
``benchmarks/bench_gpu.py`` targets. ``PreparePool`` formats and tokenises chunks of texts in worker processes, each
with its own tokenizer, and hands back flat token-id arrays; ``stream_logits`` sorts each chunk by length, pads its
batches with array operations, runs them on the device as the chunks arrive, and keeps the logits there until the
last batch.

The ids are the serial path's (``batching.tokenize``); only the batches differ (sorted per chunk rather than over the
whole call), which moves a probability by rounding noise at most, so a decision can change only on an exact tie.
The workers start with ``spawn``: a script that uses them needs the usual ``if __name__ == "__main__":`` guard.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from models.batching import InputFormat, length_sorted_batches, tokenize

if TYPE_CHECKING:
    from models.predict import Logits

# Texts per task sent to a worker: large enough that the hand-over costs little, small enough that the model starts
# on the first chunk while the workers prepare the rest. A smaller call is shared out over the workers, in chunks of
# at least MIN_CHUNK.
CHUNK = 8_192
MIN_CHUNK = 128

Prepared = tuple[np.ndarray, np.ndarray]  # (every text's token ids concatenated [int32], ids per text [int32])

_tokenizer: Any = None
_format = InputFormat()


def _start_worker(model_dir: str, max_length: int, fmt: InputFormat) -> None:
    global _tokenizer, _format
    os.environ["TOKENIZERS_PARALLELISM"] = "false"  # one core per worker: the pool is the parallelism
    from models.predict import load_tokenizer

    _tokenizer = load_tokenizer(Path(model_dir), max_length=max_length)
    _format = fmt


def _prepare(texts: Sequence[str], langs: Sequence[str | None] | None) -> Prepared:
    return flatten(tokenize(_tokenizer, texts, fmt=_format, langs=langs))


def flatten(ids: Sequence[Sequence[int]]) -> Prepared:
    """Token-id lists as one flat int32 array and the length of each list."""
    lengths = np.fromiter((len(row) for row in ids), dtype=np.int32, count=len(ids))
    flat = np.fromiter(itertools.chain.from_iterable(ids), dtype=np.int32, count=int(lengths.sum()))
    return flat, lengths


class PreparePool:
    """Worker processes that format and tokenise texts for one model (``model_dir/tokenizer.json``).

    The workers start on first use (a fresh interpreter each: the parent may hold a GPU context or tokenizer threads,
    which must not be forked) and stop with ``close()`` or at exit.
    """

    def __init__(self, model_dir: Path, *, max_length: int, fmt: InputFormat, workers: int) -> None:
        if workers < 1:
            raise ValueError(f"a prepare pool needs at least one worker, got {workers}")
        self.workers = workers
        self._init = (str(model_dir), max_length, fmt)
        self._executor: ProcessPoolExecutor | None = None

    def prepare(
        self, texts: Sequence[str], langs: Sequence[str | None] | None = None, *, chunk: int | None = None
    ) -> Iterator[Prepared]:
        """Each chunk of ``chunk`` consecutive texts, prepared, in order; the workers run ahead of the caller.
        Default chunk: ``CHUNK``, or less for a call too small to give every worker a full one."""
        if langs is not None and len(langs) != len(texts):
            raise ValueError(f"{len(langs)} languages for {len(texts)} texts")
        chunk = chunk or min(CHUNK, max(MIN_CHUNK, -(-len(texts) // self.workers)))
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                self.workers, mp_context=get_context("spawn"), initializer=_start_worker, initargs=self._init
            )
        starts = range(0, len(texts), chunk)
        text_chunks = [list(texts[i : i + chunk]) for i in starts]
        lang_chunks = [None if langs is None else list(langs[i : i + chunk]) for i in starts]
        return self._executor.map(_prepare, text_chunks, lang_chunks)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(cancel_futures=True)
            self._executor = None


def packed_pad(
    flat: np.ndarray, starts: np.ndarray, lengths: np.ndarray, index: np.ndarray, *, pad_id: int
) -> tuple[np.ndarray, np.ndarray]:
    """(input_ids, attention_mask) as int64 arrays of the rows ``index``, padded to their longest; the same arrays
    as ``batching.pad`` gives for the unpacked lists."""
    rows = lengths[index]
    width = int(rows.max())
    columns = np.arange(width)
    mask = columns < rows[:, None]
    input_ids = np.full((len(index), width), pad_id, dtype=np.int64)
    input_ids[mask] = flat[(starts[index][:, None] + columns)[mask]]
    return input_ids, mask.astype(np.int64)


def stream_logits(model: Any, prepared: Iterable[Prepared], *, batch_size: int, pad_id: int) -> Logits:
    """Logits of every prepared text, in input order: each chunk's length-sorted batches run on the model's device
    (bf16 autocast on a GPU, as ``network.torch_runner``) as soon as the chunk arrives."""
    import torch

    device = next(model.parameters()).device
    on_gpu = device.type == "cuda"
    outs: list[list[torch.Tensor]] = [[], [], []]
    order: list[np.ndarray] = []
    offset = 0
    with torch.inference_mode(), torch.autocast("cuda", dtype=torch.bfloat16, enabled=on_gpu):
        for flat, lengths in prepared:
            starts = np.concatenate([[0], np.cumsum(lengths[:-1], dtype=np.int64)])
            for index in length_sorted_batches(lengths, batch_size=batch_size):
                input_ids, mask = (torch.from_numpy(a) for a in packed_pad(flat, starts, lengths, index, pad_id=pad_id))
                if on_gpu:  # pinned host memory: the copy overlaps the kernels already queued
                    input_ids, mask = (t.pin_memory().to(device, non_blocking=True) for t in (input_ids, mask))
                for head, value in zip(outs, model(input_ids, mask), strict=True):
                    head.append(value.float())
                order.append(index + offset)
            offset += len(lengths)
    if not order:
        raise ValueError("no texts")
    inverse = np.argsort(np.concatenate(order))
    return tuple(torch.cat(head).cpu().numpy()[inverse] for head in outs)  # type: ignore[return-value]
