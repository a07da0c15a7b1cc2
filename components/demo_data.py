"""Demo data: realistic synthetic questionnaire responses, for trying the results page and exports.

    python -m components.demo_data --n 300 [--seed 7] [--database-url URL] [--force-into-real-data]

Every row is marked ``synthetic`` and the command refuses to write into a database that already holds
real (non-synthetic) responses unless ``--force-into-real-data`` is given. Generation is seeded and
reads the questionnaire definition, so it follows any change to ``questionnaire.yaml``:

* each respondent has a general attitude and one per artefact; Likert answers are a noisy, rounded
  mix of both, so items of one artefact correlate (alpha around .8) and artefacts differ;
* a few percent of Likert answers are "don't know / not applicable", some criteria more than others;
* responses come from several artefact content versions in time order, later versions rated a
  little better (a design cycle that worked), from several workshop session codes, over weeks;
* profile answers (single choice, numbers), some free-text comments, multiple-choice answers.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import random
import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent

COMMENTS = {
    "en": [
        "Clear and well organised.",
        "Some labels are hard to read on a phone.",
        "I would add an example for each element.",
        "Useful as a checklist for new projects.",
        "The order of some steps is debatable in our context.",
        "Good overview, but a bit dense.",
        "It matches what we do in practice.",
        "Hard to apply in a small team.",
    ],
    "pt-BR": [
        "Claro e bem organizado.",
        "Alguns rótulos são difíceis de ler no celular.",
        "Eu acrescentaria um exemplo para cada elemento.",
        "Útil como checklist para novos projetos.",
        "A ordem de algumas etapas é discutível no nosso contexto.",
        "Boa visão geral, mas um pouco densa.",
        "Corresponde ao que fazemos na prática.",
        "Difícil de aplicar em uma equipe pequena.",
    ],
}


@dataclass(frozen=True)
class Plan:
    """Where and when the synthetic workshops happened."""

    content_versions: tuple[str, ...]
    sessions: tuple[str, ...]
    start: datetime
    weeks: int = 6


def default_plan(current_content_version: str, seed: int, now: datetime | None = None) -> Plan:
    """Three design iterations (two earlier, made-up content versions, then the current one) and six
    workshop sessions over the last six weeks."""
    now = now or datetime.now(UTC)
    earlier = tuple(hashlib.sha256(f"demo-{seed}-{i}".encode()).hexdigest()[:12] for i in (1, 2))
    sessions = tuple(f"DEMO-{i:02d}" for i in range(1, 7))
    return Plan((*earlier, current_content_version), sessions, now - timedelta(weeks=6))


def generate(survey: Any, n: int, plan: Plan, seed: int = 7, languages: Sequence[str] = ("pt-BR", "en")):
    """``n`` synthetic responses as ``components.storage.NewResponse`` objects, reproducible by seed."""
    from components import storage

    rng = random.Random(seed)
    questions = survey.questions
    likert = [q for q in questions if q.type == "likert"]
    artefacts = list(dict.fromkeys(q.artefact for q in likert))
    criteria = list(dict.fromkeys(q.criterion for q in likert))
    # Fixed per dataset: how good each artefact is, how hard each criterion is, how often a
    # criterion gets a "don't know".
    artefact_base = {a: rng.uniform(3.2, 3.9) for a in artefacts}
    criterion_shift = {c: rng.uniform(-0.35, 0.3) for c in criteria}
    criterion_dk = {c: rng.choice((0.01, 0.02, 0.04, 0.08)) for c in criteria}
    span = plan.weeks * 7 * 24 * 3600
    n_versions = len(plan.content_versions)
    out = []
    for i in range(n):
        frac = (i + rng.random()) / max(n, 1)
        version_index = min(n_versions - 1, int(frac * n_versions))
        started = plan.start + timedelta(seconds=frac * span)
        # Workshops: most respondents answer in one session of the current iteration.
        session = None
        if rng.random() < 0.85:
            per = max(1, len(plan.sessions) // n_versions)
            pool = plan.sessions[version_index * per : (version_index + 1) * per] or plan.sessions
            session = rng.choice(pool)
        lang = languages[0] if rng.random() < 0.7 else languages[-1]
        general = rng.gauss(0, 1)
        specific = {a: rng.gauss(0, 1) for a in artefacts}
        improvement = 0.25 * version_index
        answers: dict[str, Any] = {}
        profile_shift: float | None = None
        for q in questions:
            if q.type == "single":
                weights = [1.0 / (1 + 0.35 * k) for k in range(len(q.options))]
                code = rng.choices([o.code for o in q.options], weights=weights)[0]
                answers[q.id] = code if (q.required or rng.random() < 0.9) else None
                if profile_shift is None:  # the first choice question shifts ratings a little by group
                    profile_shift = 0.2 * ([o.code for o in q.options].index(code) % 3 - 1)
            elif q.type == "number":
                lo = q.min if q.min is not None else 0
                hi = q.max if q.max is not None else 100
                value = (
                    min(hi, max(lo, round(math.exp(rng.gauss(1.7, 0.7))))) if rng.random() < 0.92 else None
                )
                answers[q.id] = int(value) if value is not None and q.integer else value
            elif q.type == "likert":
                crit = q.criterion
                if rng.random() < criterion_dk.get(crit, 0.03):
                    answers[q.id] = survey.scale.dont_know_code
                    continue
                if q.artefact:
                    latent = artefact_base[q.artefact] + 0.65 * general + 0.55 * specific[q.artefact]
                else:
                    latent = 3.6 + 0.8 * general + 0.3 * sum(specific.values()) / max(1, len(specific))
                latent += (
                    criterion_shift.get(crit, 0.0) + improvement + (profile_shift or 0.0) + rng.gauss(0, 0.8)
                )
                answers[q.id] = int(min(5, max(1, round(latent))))
            elif q.type == "multiple":
                codes = [o.code for o in q.options if not o.exclusive]
                chosen = [c for c in codes if rng.random() < 0.45]
                exclusive = [o.code for o in q.options if o.exclusive]
                if not chosen and exclusive and rng.random() < 0.5:
                    chosen = exclusive[:1]
                answers[q.id] = chosen or None
            elif q.type in ("text", "long_text"):
                answers[q.id] = (
                    rng.choice(COMMENTS.get(lang, COMMENTS["en"])) if rng.random() < 0.22 else None
                )
            else:
                answers[q.id] = None
        rid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        out.append(
            storage.NewResponse(
                response_id=rid,
                survey_version=survey.version,
                content_version=plan.content_versions[version_index],
                lang=lang,
                session_code=session,
                started_at=started,
                submitted_at=started + timedelta(seconds=rng.uniform(240, 1500)),
                answers={q.id: answers.get(q.id) for q in questions},
                receipt_hash=hashlib.sha256(f"demo-receipt-{seed}-{rid}".encode()).hexdigest(),
                synthetic=True,
            )
        )
    return out


class RealDataPresent(RuntimeError):
    """The target database holds real responses and the caller did not force it."""


def fill(
    engine: Any,
    survey: Any,
    content_version: str,
    n: int,
    seed: int = 7,
    force: bool = False,
    languages: Sequence[str] = ("pt-BR", "en"),
    now: datetime | None = None,
) -> int:
    """Write ``n`` synthetic responses; refuses when real responses exist unless ``force``."""
    from components import storage

    real = storage.count_responses(engine, include_synthetic=False)
    if real and not force:
        raise RealDataPresent(f"the database holds {real} real responses")
    rows = generate(survey, n, default_plan(content_version, seed, now), seed, languages)
    written = storage.insert_responses(engine, rows)
    storage.append_audit(
        engine, "demo_data.generated", {"count": written, "seed": seed, "forced": bool(force)}
    )
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m components.demo_data", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--n", type=int, default=300, help="how many responses (default 300)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument(
        "--database-url",
        default=None,
        help="SQLAlchemy URL (default: ATLAS_DATABASE_URL or the SQLite file in the data directory)",
    )
    parser.add_argument(
        "--artefacts", default=None, help="artefact directory (default: ATLAS_ARTEFACTS or ./artefacts)"
    )
    parser.add_argument(
        "--force-into-real-data",
        action="store_true",
        help="write even though the database holds real responses (they stay apart: every demo "
        "row is marked synthetic)",
    )
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("--n must be at least 1")

    import os

    from components import storage
    from components.loader import load_atlas

    root = Path(args.artefacts or os.environ.get("ATLAS_ARTEFACTS") or REPO_ROOT / "artefacts")
    result = load_atlas(root)
    if result.atlas is None or result.problems or result.atlas.survey is None:
        print(
            f"The artefacts in {root} have problems or no questionnaire; run python -m components.validate",
            file=sys.stderr,
        )
        return 2
    atlas = result.atlas
    url = storage.database_url(args.database_url)
    engine = storage.make_engine(url)
    try:
        written = fill(
            engine,
            atlas.survey,
            atlas.content_version,
            args.n,
            args.seed,
            args.force_into_real_data,
            atlas.languages,
        )
    except RealDataPresent as exc:
        print(
            f"Refusing to add demo data: {exc}. Use another database (--database-url) or pass "
            "--force-into-real-data.",
            file=sys.stderr,
        )
        return 3
    finally:
        engine.dispose()
    print(f"Wrote {written} synthetic responses to {_redact(url)}.")
    if written < args.n:
        print(f"{args.n - written} were already there (same --seed): pass another --seed to add more.")
    return 0


def _redact(url: str) -> str:
    """The URL without its password, for the terminal."""
    try:
        import sqlalchemy as sa

        return sa.make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "the database"


if __name__ == "__main__":
    raise SystemExit(main())
