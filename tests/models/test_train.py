"""Training: overfitting, stored artifacts, determinism, partial labels, data assembly and splits."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from models.data import assemble, gather_examples, split_of, text_key
from models.distant import distant_examples
from models.examples import LabelledExample
from models.predict import Classifier
from models.train import train, train_from_settings
from pipeline.config import load_settings
from pipeline.errors import UserError

REPO = Path(__file__).resolve().parents[2]


def test_overfits_eight_examples(tiny_model, eight) -> None:
    losses = tiny_model.epoch_losses
    assert losses[-1] < losses[0] / 4
    tags = Classifier.load(tiny_model.model_dir, runtime="torch").predict([ex.text for ex in eight])
    assert [t.service for t in tags] == [ex.service for ex in eight]
    assert [t.sentiment for t in tags] == [ex.sentiment for ex in eight]
    assert [t.sharp_edge or "none" for t in tags] == [ex.sharp_edge for ex in eight]
    assert tiny_model.metrics["sentiment.accuracy"] == 1.0
    assert tiny_model.metrics["service.any.f1"] == 1.0


def test_model_directory_holds_everything_needed(tiny_model) -> None:
    d = tiny_model.model_dir
    for name in ("model.safetensors", "tokenizer.json", "labels.json", "calibration.json", "settings.json",
                 "metrics.json", "MODEL_CARD.md", "meta.json", "config.json"):  # fmt: skip
        assert (d / name).is_file(), name
    calibration = json.loads((d / "calibration.json").read_text())
    assert len(calibration["service_thresholds"]) == 3
    assert all(0.05 <= t <= 0.95 for t in calibration["service_thresholds"])
    assert calibration["temperature_sentiment"] > 0
    priors = calibration["sentiment_priors"]  # mean dev probabilities: the priors its outputs carry
    assert "*" in priors and all(sum(p) == pytest.approx(1.0, abs=1e-4) for p in priors.values())
    labels = json.loads((d / "labels.json").read_text())
    assert labels["sharp_edge"][0] == "none" and "billing" in labels["sharp_edge"]
    meta = json.loads((d / "meta.json").read_text())
    assert meta["version"] == d.name == tiny_model.version
    assert d.name.startswith("vocmine-tiny-random-")
    card = (d / "MODEL_CARD.md").read_text()
    assert "Sentiment priors its outputs carry" in card and "none stored" not in card
    assert tiny_model.version in card
    assert meta["precision"] in ("bf16 autocast", "fp32") and meta["threads"] >= 1
    assert f"({meta['precision']}, {meta['threads']} threads)" in card  # the weights' last bits depend on both
    from models.calibration import Calibration
    from models.card import render_model_card
    from models.labels import LabelSpace

    older = {k: v for k, v in meta.items() if k != "threads"}  # models trained before the count was recorded
    card = render_model_card(meta=older, metrics={}, labels=LabelSpace.load(d), calibration=Calibration.load(d))
    assert f"({meta['precision']});" in card and "threads" not in card
    assert not list(d.parent.glob(".*.tmp"))
    assert "trained vocmine-tiny-random" in tiny_model.summary()


def test_same_seed_same_model(tmp_path: Path, taxonomy, base_cache, eight, tiny_settings) -> None:
    settings = tiny_settings(epochs=3)
    a = train(eight, settings=settings, taxonomy=taxonomy, out_root=tmp_path / "a", dev=eight, base_cache=base_cache)
    b = train(eight, settings=settings, taxonomy=taxonomy, out_root=tmp_path / "b", dev=eight, base_cache=base_cache)
    c = train(eight, settings=tiny_settings(epochs=3, seed=14), taxonomy=taxonomy, out_root=tmp_path / "c",
              dev=eight, base_cache=base_cache)  # fmt: skip
    texts = [ex.text for ex in eight]
    pa, pb, pc = (Classifier.load(r.model_dir, runtime="torch").predict_proba(texts) for r in (a, b, c))
    assert np.array_equal(pa.sentiment, pb.sentiment) and np.array_equal(pa.service, pb.service)
    assert a.version.rsplit("-", 1)[1] == b.version.rsplit("-", 1)[1]  # same data+settings fingerprint
    assert not np.array_equal(pa.sentiment, pc.sentiment)


def test_partial_labels_train(tmp_path: Path, taxonomy, base_cache, eight, tiny_settings) -> None:
    sentiment_only = [LabelledExample(text=f"great tool {i}", sentiment="positive", origin="distant") for i in range(4)]
    service_only = [LabelledExample(text=f"support ticket {i}", service=["support"], origin="weak") for i in range(4)]
    result = train([*sentiment_only, *service_only], settings=tiny_settings(epochs=2), taxonomy=taxonomy,
                   out_root=tmp_path, dev=eight, base_cache=base_cache)  # fmt: skip
    assert all(np.isfinite(result.epoch_losses))
    assert result.n_examples == {"distant": 4, "weak": 4}


def test_splits_are_stable_and_group_duplicates() -> None:
    assert split_of("Support was great.") == split_of("  support   WAS great. ")
    texts = [f"sentence number {i}" for i in range(2000)]
    shares = {s: sum(split_of(t) == s for t in texts) / len(texts) for s in ("train", "dev", "test")}
    assert 0.75 < shares["train"] < 0.85 and 0.07 < shares["dev"] < 0.13 and 0.07 < shares["test"] < 0.13


def test_assemble_keeps_weak_and_distant_out_of_dev_and_test() -> None:
    gold = [LabelledExample(text=f"gold sentence {i}", sentiment="neutral") for i in range(300)]
    weak = [LabelledExample(text=f"weak sentence {i}", sentiment="positive", origin="weak") for i in range(300)]
    dup = [LabelledExample(text="GOLD sentence 1", sentiment="negative", origin="distant")]
    data = assemble(gold, [*weak, *dup])
    assert {ex.origin for ex in data.dev + data.test} == {"gold"}
    assert sum(ex.origin == "weak" for ex in data.train) == sum(split_of(ex.text) == "train" for ex in weak)
    assert all(ex.origin != "distant" for ex in data.train)  # the duplicate of a gold text lost to the gold one
    capped = assemble(gold, weak, max_train_examples=100)
    assert len(capped.train) == 100 and {ex.origin for ex in capped.train} == {"gold"}
    assert [text_key(e.text) for e in capped.train] == sorted(text_key(e.text) for e in capped.train)


def _write_gold(path: Path, n: int = 40) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    rows = [
        {"text": f"Support fixed issue {i} quickly.", "lang": "en", "service": ["support"], "sentiment": "positive",
         "sharp_edge": "none", "source": "review"} if i % 2 else
        {"text": f"They billed me twice in month {i}.", "lang": "en", "service": [], "sentiment": "negative",
         "sharp_edge": "billing", "source": "review"}
        for i in range(n)
    ]  # fmt: skip
    (path / "en.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def _tiny_settings_file(tmp_path: Path, gold: Path):
    return load_settings(
        [REPO / "configs" / "tiny.yaml"],
        [f"paths.data_dir={tmp_path / 'data'}", f"classifier.gold_dir={gold}",
         f"paths.taxonomy={REPO / 'configs' / 'taxonomy.yaml'}"],
    )  # fmt: skip


def test_train_from_settings_without_a_store(tmp_path: Path) -> None:
    settings = _tiny_settings_file(tmp_path, _write_gold(tmp_path / "gold"))
    result = train_from_settings(settings)
    assert result.model_dir.parent == settings.paths.models_dir
    gold = [json.loads(line)["text"] for line in (tmp_path / "gold" / "en.jsonl").read_text().splitlines()]
    assert result.n_examples == {"gold": sum(split_of(text) == "train" for text in gold)}
    saved = json.loads((result.model_dir / "settings.json").read_text())
    assert saved["classifier"]["base_model"] == "tiny-random"


def test_bad_gold_line_names_file_and_line(tmp_path: Path, taxonomy) -> None:
    gold = _write_gold(tmp_path / "gold", n=3)
    with (gold / "en.jsonl").open("a") as f:
        f.write('{"text": "x", "service": ["helpdesk"], "sentiment": "positive", "sharp_edge": "none"}\n')
    settings = _tiny_settings_file(tmp_path, gold)
    with pytest.raises(UserError, match=r"en\.jsonl:4: .*helpdesk"):
        gather_examples(settings, taxonomy)


def test_no_gold_is_a_user_error(tmp_path: Path, taxonomy) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="no labelled examples"):
        gather_examples(_tiny_settings_file(tmp_path, tmp_path / "empty"), taxonomy)


def test_distant_labels_from_the_store(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from pipeline.records import Feedback
    from pipeline.store import Store

    path = tmp_path / "store.duckdb"
    when = datetime(2026, 1, 1, tzinfo=UTC)
    records = [
        Feedback(source="g2", external_id="1", product="p", rating=3, pros="Fast.", cons="Pricey.", created_at=when),
        Feedback(source="g2", external_id="2", product="p", rating=1, body="Awful support.", created_at=when),
        Feedback(source="g2", external_id="3", product="p", rating=5, body="Fine. Really.", created_at=when),
    ]
    rows = [("1", 0, "pros", "Fast."), ("1", 1, "cons", "Pricey."), ("2", 0, "body", "Awful support."),
            ("3", 0, "body", "Fine."), ("3", 1, "body", "Really.")]  # fmt: skip
    with Store(path) as store:
        store.upsert_feedback(records)
        for ext, idx, section, text in rows:
            store.execute(
                "INSERT INTO sentences (source, external_id, idx, section, text, text_redacted, start_char, end_char,"
                " language, feedback_hash) VALUES ('g2', ?, ?, ?, ?, ?, 0, 1, 'en', 'h')",
                [ext, idx, section, text, text],
            )
    found = {ex.text: ex for ex in distant_examples(path, weight=0.3, limit=10)}
    assert {t: ex.sentiment for t, ex in found.items()} == {
        "Fast.": "positive",
        "Pricey.": "negative",
        "Awful support.": "negative",
    }  # fmt: skip  ("Fine." is one of two sentences: its 5 stars say nothing about it alone)
    assert all(ex.service is None and ex.sharp_edge is None and ex.weight == 0.3 for ex in found.values())
    assert distant_examples(tmp_path / "missing.duckdb", weight=0.3, limit=10) == []


@pytest.mark.slow
def test_real_e5_base_fine_tunes_and_reloads_offline(tmp_path: Path, taxonomy, eight, tiny_settings, e5_dir) -> None:
    import os

    from safetensors import safe_open

    assert os.environ["HF_HUB_OFFLINE"] == "1"
    settings = tiny_settings(base_model="multilingual-e5-small", epochs=1, batch_size=4, learning_rate=5e-5,
                             freeze_embeddings=True, max_length=32)  # fmt: skip
    result = train(eight, settings=settings, taxonomy=taxonomy, out_root=tmp_path, dev=eight, base_cache=e5_dir.parent)
    assert all(np.isfinite(result.epoch_losses))
    meta = json.loads((result.model_dir / "meta.json").read_text())
    assert meta["text_prefix"] == "query: " and meta["pad_id"] == 1
    name = "encoder.layer.11.output.dense.weight"
    with (
        safe_open(str(e5_dir / "model.safetensors"), "pt") as base,
        safe_open(str(result.model_dir / "model.safetensors"), "pt") as tuned,
    ):
        assert not np.array_equal(base.get_tensor(name).numpy(), tuned.get_tensor(f"encoder.{name}").numpy())
        word = "embeddings.word_embeddings.weight"
        assert np.array_equal(base.get_tensor(word).numpy(), tuned.get_tensor(f"encoder.{word}").numpy())  # frozen
    texts = [ex.text for ex in eight] + ["Layanan pelanggan sangat membantu."]
    first = Classifier.load(result.model_dir, runtime="torch").predict_proba(texts)
    again = Classifier.load(result.model_dir, runtime="torch").predict_proba(texts)
    assert np.array_equal(first.sentiment, again.sentiment) and np.array_equal(first.service, again.service)


def test_weak_and_distant_labels_of_one_sentence_merge() -> None:
    from models.data import dedupe

    weak = LabelledExample(text="Cancel was hard.", service=[], sharp_edge="cancellation_refunds", origin="weak")
    distant = LabelledExample(text="cancel was hard.", sentiment="negative", origin="distant", weight=0.3)
    gold = LabelledExample(text="Support rocks", service=["support"], sentiment="positive", sharp_edge="none")
    (merged, kept_gold) = dedupe([weak, gold, distant, gold.model_copy(update={"origin": "weak", "sentiment": None})])
    assert (merged.service, merged.sentiment, merged.sharp_edge) == ((), "negative", "cancellation_refunds")
    assert merged.origin == "weak" and kept_gold == gold


def test_bf16_autocast_follows_the_setting_and_the_hardware() -> None:
    import torch

    from models.fitting import use_bf16

    assert use_bf16("bf16", "cpu") and not use_bf16("fp32", "cpu") and not use_bf16("fp32", "cuda")
    assert use_bf16("auto", "cuda")
    native = torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()
    assert use_bf16("auto", "cpu") == native  # emulated bf16 is slower than fp32: auto stays fp32 there


def test_training_finishes_on_the_moving_average_when_asked(
    tmp_path: Path, taxonomy, base_cache, eight, tiny_settings
) -> None:
    from safetensors.numpy import load_file

    from models.base import resolve_base
    from models.labels import LabelSpace
    from models.network import MultiTaskModel

    base = resolve_base("tiny-random", cache_dir=base_cache)
    start = MultiTaskModel.from_base(base, LabelSpace.from_taxonomy(taxonomy), seed=13).state_dict()
    moved = {}
    for name, decay in (("plain", 0.0), ("ema", 0.9), ("frozen_ema", 1 - 1e-9)):
        result = train(eight, settings=tiny_settings(epochs=5, ema_decay=decay), taxonomy=taxonomy,
                       out_root=tmp_path / name, dev=eight, base_cache=base_cache)  # fmt: skip
        weights = load_file(str(result.model_dir / "model.safetensors"))
        moved[name] = sum(float(np.abs(weights[k] - start[k].numpy()).sum()) for k in weights)
    # an average that barely follows the steps ends where training started; a short one moves, but less far
    assert moved["frozen_ema"] < 1e-3 * moved["plain"]
    assert 0 < moved["ema"] != moved["plain"]


def test_a_model_that_keeps_its_bottom_layers_trains_reloads_and_exports_with_them(
    tmp_path: Path, taxonomy, base_cache, eight, tiny_settings
) -> None:
    """``classifier.encoder_layers`` drops the base's top layers before fine-tuning; the saved model holds only the
    kept ones, and torch, a reload and the ONNX export all read it with them."""
    from safetensors.numpy import load_file

    from models.export import export_onnx

    result = train(eight, settings=tiny_settings(epochs=5, encoder_layers=1), taxonomy=taxonomy,
                   out_root=tmp_path / "m", dev=eight, base_cache=base_cache)  # fmt: skip
    d = result.model_dir
    assert json.loads((d / "config.json").read_text())["num_hidden_layers"] == 1
    names = load_file(str(d / "model.safetensors"))
    assert any(".layer.0." in k for k in names) and not any(".layer.1." in k for k in names)
    assert json.loads((d / "settings.json").read_text())["classifier"]["encoder_layers"] == 1
    texts = [ex.text for ex in eight]
    first = Classifier.load(d, runtime="torch").predict_proba(texts, batch_size=3)
    again = Classifier.load(d, runtime="torch").predict_proba(texts, batch_size=8)
    for head in ("service", "sentiment", "sharp_edge"):
        np.testing.assert_allclose(getattr(first, head), getattr(again, head), atol=1e-6)
    export_onnx(d, quantize=False)  # fp32 ONNX: the same arithmetic as torch
    onnx = Classifier.load(d, runtime="onnx").predict_proba(texts, batch_size=8)
    for head in ("service", "sentiment", "sharp_edge"):
        np.testing.assert_allclose(getattr(onnx, head), getattr(first, head), atol=1e-4)
    whole = train(eight, settings=tiny_settings(epochs=5), taxonomy=taxonomy, out_root=tmp_path / "w", dev=eight,
                  base_cache=base_cache)  # fmt: skip
    assert json.loads((whole.model_dir / "config.json").read_text())["num_hidden_layers"] == 2
    assert whole.version.rsplit("-", 1)[1] != result.version.rsplit("-", 1)[1]  # the recipe names the model


def test_bad_training_options_are_clear_errors(tmp_path: Path, taxonomy, base_cache, eight, tiny_settings) -> None:
    from pydantic import ValidationError

    with pytest.raises(UserError, match=r"classifier\.freeze_layers: cannot freeze 9 layers: the encoder has 2"):
        train(eight, settings=tiny_settings(freeze_layers=9), taxonomy=taxonomy, out_root=tmp_path / "m",
              dev=eight, base_cache=base_cache)  # fmt: skip
    assert not (tmp_path / "m").exists() or not list((tmp_path / "m").iterdir())  # nothing half-written is left
    with pytest.raises(UserError, match=r"classifier\.encoder_layers: cannot keep 3 layers: the encoder has 2"):
        train(eight, settings=tiny_settings(encoder_layers=3), taxonomy=taxonomy, out_root=tmp_path / "k",
              dev=eight, base_cache=base_cache)  # fmt: skip
    assert not (tmp_path / "k").exists() or not list((tmp_path / "k").iterdir())
    with pytest.raises(UserError, match=r"classifier\.freeze_layers: cannot freeze 2 layers: the encoder has 1"):
        train(eight, settings=tiny_settings(encoder_layers=1, freeze_layers=2), taxonomy=taxonomy,
              out_root=tmp_path / "kf", dev=eight, base_cache=base_cache)  # fmt: skip
    for bad in (
        {"ema_decay": 1.0},
        {"ema_decay": -0.1},
        {"freeze_layers": -1},
        {"encoder_layers": 0},
        {"encoder_layers": "ten"},
        {"encoder_layers": 2.5},
        {"mixed_precision": "fp16"},
        {"fused_optimizer": "sometimes"},
    ):
        with pytest.raises(ValidationError):
            tiny_settings(**bad)


def test_fused_optimizer_is_another_draw_of_the_same_recipe(
    tmp_path: Path, taxonomy, base_cache, eight, tiny_settings
) -> None:
    """``classifier.fused_optimizer`` trains close but not identical weights, deterministically, under its own
    fingerprint; the default is the unfused loop."""
    from safetensors.numpy import load_file

    assert tiny_settings().fused_optimizer is False
    runs = {}
    for name, fused in (("plain", False), ("fused", True), ("fused_again", True)):
        result = train(eight, settings=tiny_settings(epochs=5, fused_optimizer=fused), taxonomy=taxonomy,
                       out_root=tmp_path / name, dev=eight, base_cache=base_cache)  # fmt: skip
        runs[name] = (result.version.rsplit("-", 1)[1], load_file(str(result.model_dir / "model.safetensors")))
    (plain_id, plain), (fused_id, fused), (again_id, again) = runs["plain"], runs["fused"], runs["fused_again"]
    assert fused_id == again_id != plain_id
    assert all(np.array_equal(fused[k], again[k]) for k in fused)
    assert any(not np.array_equal(fused[k], plain[k]) for k in fused)
    assert max(float(np.abs(fused[k] - plain[k]).max()) for k in fused) < 0.05
