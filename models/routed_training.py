"""Train a routed model (``models.routed``): one member per ``classifier.routes`` entry on its languages' examples,
and the main member on every other example, saved together under one version."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import shutil
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from models.blending import Blend, fit_blend, save_blends
from models.card import CARD_FILE
from models.config import ClassifierSettings, LanguageRoute
from models.examples import LabelledExample, languages_of
from models.registry import META_FILE, model_version, publish, read_meta, start_work_dir
from pipeline.errors import UserError

if TYPE_CHECKING:
    from models.fitting import Progress
    from models.predict import KnownLogits
    from models.train import TrainResult
    from pipeline.taxonomy import Taxonomy

log = logging.getLogger(__name__)


def partition(
    examples: Sequence[LabelledExample],
    routes: Sequence[LanguageRoute],
    *,
    main_learns_routed: bool = False,
    main_routed_share: float = 1.0,
) -> list[tuple[LanguageRoute | None, list[LabelledExample]]]:
    """(route, its examples) with the main model's share first (route None): every example whose language no route
    names, unknown languages included; with ``main_learns_routed``, the routed ones too (``main_routed_share`` of
    them, chosen by text hash)."""
    owner = {code.lower(): i for i, route in enumerate(routes) for code in route.languages}
    shares: list[list[LabelledExample]] = [[] for _ in range(len(routes) + 1)]
    main: list[LabelledExample] = []
    for ex in examples:
        share = owner.get((ex.lang or "").lower(), -1) + 1
        shares[share].append(ex)
        if share == 0 or (main_learns_routed and in_sample(ex.text, main_routed_share)):
            main.append(ex)
    return [(None, main), *zip(routes, shares[1:], strict=True)]


def in_sample(text: str, share: float) -> bool:
    """Whether ``text`` falls in a ``share`` sample: fixed by its hash, and independent of the train / dev / test split
    (which reads part 0 of the hash; this reads part 1)."""
    from models.data import hash_fraction

    return share >= 1.0 or hash_fraction(text, part=1) < share


def member_settings(settings: ClassifierSettings, route: LanguageRoute | None) -> ClassifierSettings:
    """The settings one member trains with: the route's base, and its epochs, layers kept and frozen, learning rate
    and optimizer where it names them; no routes."""
    update: dict[str, Any] = {"routes": [], "main_learns_routed": False, "blend_heads": []}
    if route is not None:
        update["base_model"] = route.base_model
        for name in ("epochs", "encoder_layers", "freeze_layers", "learning_rate", "fused_optimizer"):
            if getattr(route, name) is not None:
                update[name] = getattr(route, name)
    return settings.model_copy(update=update)


def train_routed(
    examples: Sequence[LabelledExample],
    *,
    settings: ClassifierSettings,
    taxonomy: Taxonomy,
    out_root: Path,
    dev: Sequence[LabelledExample] | None = None,
    base_cache: Path | None = None,
    resolved_settings: dict[str, Any] | None = None,
    progress: Progress | None = None,
) -> TrainResult:
    """Train every member into one hidden directory, score the whole on dev, then rename it into place.

    ``dev`` as in ``models.train.train``: None splits the examples by text hash, else every example trains and each
    member calibrates on its share of ``dev``."""
    from models.data import assemble
    from models.train import TrainResult, write_json

    started = time.monotonic()
    when = datetime.now(UTC)
    work = start_work_dir(out_root, f"routed-{when:%Y%m%d%H%M%S%f}")
    try:
        members = _train_members(
            examples, dev, settings=settings, taxonomy=taxonomy, work=work, base_cache=base_cache,
            resolved_settings=resolved_settings, progress=progress,
        )  # fmt: skip
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)  # an error or an interrupt leaves no half-trained directory behind
        raise
    if len(members) == 1:  # nothing to route: the main model is the model
        (result,) = (r for _, r in members)
        final = out_root / result.version
        publish(result.model_dir, final)
        shutil.rmtree(work)
        return dataclasses.replace(result, model_dir=final)

    fingerprint = hashlib.sha256("".join(read_meta(r.model_dir)["fingerprint"] for _, r in members).encode())
    fingerprint.update(json.dumps(settings.blend_heads).encode())
    bases = "+".join(Path(member_settings(settings, route).base_model).name for route, _ in members)
    version = model_version(bases, fingerprint.hexdigest(), when=when)
    if dev is None:
        data = assemble(examples, max_train_examples=settings.max_train_examples)
        trained, dev = data.train, data.dev
    else:
        trained = list(examples)
    # distinct training examples over every member (with main_learns_routed a routed example trains two members)
    n_train = dict(sorted(Counter(str(ex.origin) for ex in trained).items()))
    meta: dict[str, Any] = {
        "version": version,
        "created_at": when.isoformat(),
        "base_model": bases,
        "main": members[0][1].model_dir.name,
        "routes": {code.lower(): r.model_dir.name for route, r in members[1:] if route for code in route.languages},
        "languages": languages_of(examples),
        "fingerprint": fingerprint.hexdigest(),
        "n_train": n_train,
        "members": {r.model_dir.name: r.n_examples for _, r in members},
    }
    (work / META_FILE).write_text(json.dumps(meta), encoding="utf-8")  # provisional: lets the whole load for dev
    known = {r.model_dir.name: r.dev_logits for _, r in members if r.dev_logits is not None}
    blends, metrics = dev_pass(work, dev, heads=settings.blend_heads, known=known)
    if blends:
        save_blends(work, blends)
    meta["blend"] = {lang: b.weights for lang, b in blends.items()}
    seconds = meta["seconds"] = round(time.monotonic() - started, 1)
    write_json(work / "metrics.json", metrics)
    if resolved_settings is not None:
        write_json(work / "settings.json", resolved_settings)
    (work / CARD_FILE).write_text(render_card(meta, members, metrics), encoding="utf-8")
    write_json(work / META_FILE, meta)
    final = out_root / version
    publish(work, final)
    return TrainResult(final, version, metrics, n_train, seconds)


def _train_members(
    examples: Sequence[LabelledExample],
    dev: Sequence[LabelledExample] | None,
    *,
    settings: ClassifierSettings,
    taxonomy: Taxonomy,
    work: Path,
    base_cache: Path | None,
    resolved_settings: dict[str, Any] | None,
    progress: Progress | None,
) -> list[tuple[LanguageRoute | None, TrainResult]]:
    """Each member with examples trained into ``work``, the main member first; routes without examples skipped."""
    from models.train import train

    members: list[tuple[LanguageRoute | None, TrainResult]] = []
    shared = settings.main_learns_routed
    # an explicit dev is not thinned by main_routed_share: each member calibrates on all of its languages' dev; without
    # one, each member splits its own share by text hash, so the main model's dev holds the same share of them
    dev_shares = [s for _, s in partition(dev, settings.routes, main_learns_routed=shared)] if dev is not None else None
    shares = partition(
        examples, settings.routes, main_learns_routed=shared, main_routed_share=settings.main_routed_share
    )
    for i, (route, share) in enumerate(shares):
        if route is not None and not share:
            log.warning("no examples in %s: the main model reads them too", ", ".join(route.languages))
            continue
        if not share:
            routed = ", ".join(code for r in settings.routes for code in r.languages)
            raise UserError(
                f"classifier.routes: no labelled examples for the main model (languages other than {routed}); "
                "add some or route fewer languages"
            )
        result = train(
            share, settings=member_settings(settings, route), taxonomy=taxonomy, out_root=work,
            dev=dev_shares[i] if dev_shares is not None else None, base_cache=base_cache,
            resolved_settings=resolved_settings, progress=progress,
        )  # fmt: skip
        members.append((route, result))
    return members


def dev_pass(
    model_dir: Path,
    dev: Sequence[LabelledExample],
    *,
    heads: Sequence[str],
    known: Mapping[str, KnownLogits] | None = None,
) -> tuple[dict[str, Blend], dict[str, float]]:
    """The blend of each routed language with dev sentences (``models.blending``; none when ``heads`` is empty) and
    the dev metrics of the whole under it (torch). Each member is loaded once and reads each dev sentence once, or
    not at all where ``known`` (member directory name -> ``KnownLogits``) holds its logits from its own dev pass."""
    from models.devset import dev_metrics
    from models.routed import RoutedClassifier, stitched

    if not dev:
        return {}, {}
    whole = RoutedClassifier.load(model_dir, runtime="torch")  # no blend.json yet: every member reads alone
    for member in (whole.main, *whole.routes.values()):
        member.known = (known or {}).get(member.model_dir.name)
    codes = [(ex.lang or "").lower() for ex in dev]
    blended = {code for code in whole.routes if code in codes} if heads else set()
    parts = []
    for code in sorted(blended):
        rows = [i for i, c in enumerate(codes) if c == code]
        texts, langs = [dev[i].text for i in rows], [dev[i].lang for i in rows]
        route, main = whole.routes[code].predict_proba(texts, langs=langs), whole.main.predict_proba(texts, langs=langs)
        whole.blends[code] = fit_blend(
            route, main, whole.labels.encode([dev[i] for i in rows]), heads=heads,
            calibration=whole.routes[code].calibration, langs=langs,
        )  # fmt: skip
        log.info("%s: the route's model weighs %s against the main model's (%d dev sentences)", code,
                 whole.blends[code].weights, len(rows))  # fmt: skip
        parts.append((rows, whole.decide_blended(code, route, main, langs)))
    rest = [i for i, c in enumerate(codes) if c not in blended]
    if rest:
        parts.append((rest, whole.decisions([dev[i].text for i in rest], langs=[dev[i].lang for i in rest])))
    decided = stitched(len(dev), parts, labels=whole.labels)
    targets = whole.labels.encode(dev)
    metrics = dev_metrics(decided.service, decided.sentiment, decided.sharp_edge, targets, labels=whole.labels)
    return dict(whole.blends), metrics


def render_card(
    meta: dict[str, Any], members: Sequence[tuple[LanguageRoute | None, TrainResult]], metrics: dict[str, float]
) -> str:
    lines = [
        f"# {meta['version']}",
        "",
        "vocmine routed classifier: each sentence goes to the model for its language; the member directories hold",
        "their own model cards, thresholds and exports.",
        "",
        "| member | languages | base | examples | seconds |",
        "|---|---|---|---|---|",
    ]
    for route, result in members:
        langs = ", ".join(route.languages) if route else "every other language"
        base = read_meta(result.model_dir)["base_model"]
        counts = ", ".join(f"{n} {origin}" for origin, n in result.n_examples.items())
        lines.append(f"| `{result.model_dir.name}` | {langs} | `{base}` | {counts} | {result.seconds:.0f} |")
    if meta.get("blend"):
        lines += ["", "## Blending", "", "A routed language's probabilities blend its member (weight w) with the main"]
        lines += ["member (1 − w), per head, w chosen on its dev sentences (`blend.json`):", ""]
        lines += ["| language | service | sentiment | sharp edge |", "|---|---|---|---|"]
        for lang, w in meta["blend"].items():
            lines.append(f"| {lang} | {w['service']:.1f} | {w['sentiment']:.1f} | {w['sharp_edge']:.1f} |")
    lines += ["", "## Dev metrics of the whole", ""]
    lines += ["| metric | value |", "|---|---|", *(f"| {k} | {v:.4f} |" for k, v in sorted(metrics.items()))]
    return "\n".join(lines) + "\n"
