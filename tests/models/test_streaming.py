"""Sentences prepared in worker processes while the model runs: the same ids, arrays and decisions as the serial
path."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from models.batching import InputFormat, pad, tokenize
from models.predict import STREAM_MIN, Classifier, load_classifier
from models.streaming import MIN_CHUNK, PreparePool, flatten, packed_pad, stream_logits
from pipeline.config import Settings

TEXTS = [
    "Support answered my ticket fast.",
    "サポートの返信が早い",
    "gk bs login, cs nya lama bgt balesnya",
    "",
    "THE BILLING TEAM CHARGED ME TWICE and nobody answered.",
    "A much longer sentence about an account manager, a refund, a price increase and the limits of the free plan.",
]
LANGS = ["en", "ja", "id", None, "en", "en"]


def test_flatten_and_packed_pad_give_the_padded_batches_of_the_lists() -> None:
    rng = np.random.default_rng(3)
    ids = [list(rng.integers(5, 900, size=int(n))) for n in rng.integers(1, 40, size=57)]
    flat, lengths = flatten(ids)
    assert flat.dtype == np.int32 and lengths.tolist() == [len(r) for r in ids]
    starts = np.concatenate([[0], np.cumsum(lengths[:-1])])
    for index in (np.arange(57), np.array([56, 3, 3, 0]), np.array([7])):
        got, want = packed_pad(flat, starts, lengths, index, pad_id=1), pad(ids, index, pad_id=1)
        for a, b in zip(got, want, strict=True):
            assert a.dtype == b.dtype == np.int64 and np.array_equal(a, b)


def test_the_pool_prepares_the_ids_the_serial_path_makes(tiny_model) -> None:
    clf = Classifier.load(tiny_model.model_dir, runtime="torch", device="cpu")
    texts, langs = TEXTS * 5, LANGS * 5
    serial = tokenize(clf._tokenizer, texts, fmt=clf.input_format, langs=langs)
    pool = PreparePool(tiny_model.model_dir, max_length=32, fmt=clf.input_format, workers=2)
    try:
        chunks = list(pool.prepare(texts, langs, chunk=7))
        assert [len(lengths) for _, lengths in chunks] == [7, 7, 7, 7, 2]
        many = [f"{t} {i}" for i in range(50) for t in TEXTS]  # 300 texts: one share per worker
        assert [len(lengths) for _, lengths in pool.prepare(many)] == [150, 150]
        assert [len(lengths) for _, lengths in pool.prepare(many[:200])] == [MIN_CHUNK, 200 - MIN_CHUNK]
        flat = np.concatenate([f for f, _ in chunks])
        assert np.array_equal(flat, flatten(serial)[0])
        with pytest.raises(ValueError, match="2 languages for 30 texts"):
            pool.prepare(texts, langs[:2])
        pool.close()
        assert len(list(pool.prepare(texts[:3], langs[:3]))) == 1  # starts again after close
    finally:
        pool.close()


def test_streamed_logits_equal_the_serial_logits(tiny_model) -> None:
    clf = Classifier.load(tiny_model.model_dir, runtime="torch", device="cpu")
    ids = tokenize(clf._tokenizer, TEXTS * 4, fmt=clf.input_format, langs=LANGS * 4)
    flat, lengths = flatten(ids)
    half = int(lengths[:10].sum())
    chunks = [(flat[:half], lengths[:10]), (flat[half:], lengths[10:])]
    got = stream_logits(clf._model, chunks, batch_size=4, pad_id=clf._pad_id)
    serial = Classifier.load(tiny_model.model_dir, runtime="torch", device="cpu")
    want = [serial._runner(*pad(ids, np.array([i]), pad_id=clf._pad_id)) for i in range(len(ids))]
    for head in range(3):
        np.testing.assert_allclose(got[head], np.concatenate([w[head] for w in want]), atol=1e-5)
    with pytest.raises(ValueError, match="no texts"):
        stream_logits(clf._model, [], batch_size=4, pad_id=clf._pad_id)


def test_a_classifier_with_prepare_workers_decides_as_the_serial_one(tiny_model) -> None:
    texts = [f"{t} ({i})" for i in range(STREAM_MIN // len(TEXTS) + 2) for t in TEXTS]
    langs = LANGS * (len(texts) // len(LANGS))
    serial = Classifier.load(tiny_model.model_dir, runtime="torch", device="cpu")
    streamed = Classifier.load(tiny_model.model_dir, runtime="torch", device="cpu", prepare_workers=2)
    assert serial._pool is None and streamed._pool is not None and len(texts) >= STREAM_MIN
    try:
        a = serial.decisions(texts, langs=langs, batch_size=64)
        b = streamed.decisions(texts, langs=langs, batch_size=64)
        for head in ("service", "sentiment", "sharp_edge"):
            np.testing.assert_allclose(getattr(a.probs, head), getattr(b.probs, head), atol=1e-5)
            assert np.array_equal(getattr(a, head), getattr(b, head)), head
        assert streamed.predict(texts[:3], langs=langs[:3]) == serial.predict(texts[:3], langs=langs[:3])  # small
    finally:
        streamed._pool.close()  # type: ignore[union-attr]


def test_prepare_workers_come_from_the_settings_and_default_to_none_on_the_cpu(tiny_model, tmp_path: Path) -> None:
    assert Classifier.load(tiny_model.model_dir, runtime="torch", device="cpu")._pool is None
    assert Classifier.load(tiny_model.model_dir, runtime="torch", device="cpu", prepare_workers=0)._pool is None
    shutil.copytree(tiny_model.model_dir, tmp_path / "models" / tiny_model.version)
    cpu_torch = {"runtime": "torch", "device": "cpu", "prepare_workers": 3}
    settings = Settings.model_validate({"paths": {"data_dir": str(tmp_path)}, "classifier": cpu_torch})
    loaded = load_classifier(settings)
    assert isinstance(loaded, Classifier) and loaded._pool is not None and loaded._pool.workers == 3
    with pytest.raises(ValidationError, match="prepare_workers"):
        Settings.model_validate({"classifier": {"prepare_workers": -1}})
    with pytest.raises(ValueError, match="at least one worker"):
        PreparePool(tiny_model.model_dir, max_length=32, fmt=InputFormat(), workers=0)


def test_huge_empty_and_repeated_texts_come_back_as_the_serial_path_makes_them(tiny_model) -> None:
    clf = Classifier.load(tiny_model.model_dir, runtime="torch", device="cpu")
    huge = "Support never answered. " * 4_200  # ~100,000 characters
    texts = [huge, "", "   ", "\x00\x01\x02", "same", "same", huge]
    langs = ["en", None, "en", None, "en", "en", "en"]
    serial = tokenize(clf._tokenizer, texts, fmt=clf.input_format, langs=langs)
    pool = PreparePool(tiny_model.model_dir, max_length=32, fmt=clf.input_format, workers=2)
    try:
        flat, lengths = next(iter(pool.prepare(texts, langs, chunk=len(texts))))
    finally:
        pool.close()
    assert lengths.tolist() == [len(row) for row in serial] and lengths.max() <= 32 and len(lengths) == len(texts)
    assert np.array_equal(flat, flatten(serial)[0])
    starts = np.concatenate([[0], np.cumsum(lengths[:-1])])
    logits = stream_logits(clf._model, [(flat, lengths)], batch_size=4, pad_id=clf._pad_id)
    assert all(len(head) == len(texts) and np.isfinite(head).all() for head in logits)
    for head in logits:  # repeated texts get the same row, whatever batch they fell in
        np.testing.assert_allclose(head[4], head[5], atol=1e-6)
        np.testing.assert_allclose(head[0], head[6], atol=1e-6)
    assert packed_pad(flat, starts, lengths, np.array([0, 1]), pad_id=1)[0].shape == (2, 32)
