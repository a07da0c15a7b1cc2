"""The Relevance Cycle questionnaire as data: model, parser and answer validation (no Streamlit).

The questionnaire lives in ``artefacts/questionnaire.yaml`` so researchers change questions without
touching code. Three decisions shape this module:

* **Codes, not labels.** Choice options carry stable ``code``s; answers store codes, so a reworded or
  translated label never changes the data. The Likert "don't know / not applicable" answer is its
  own string code, so it can never be mistaken for the scale's midpoint 3.
* **Version from content.** ``Survey.version`` hashes the canonical *parsed* definition: comments
  and formatting do not change it, any wording, option or rule change does. Every stored response
  names the version it answered.
* **The server re-validates.** Widgets can be bypassed (a crafted session, an old draft), so
  :func:`validate_answers` checks every answer against the definition before it is stored.

Answer values (``{question_id: value}``; ``None`` means "not answered")::

    single    -> option code (str)
    multiple  -> non-empty list of option codes, in the definition's order
    likert    -> int 1..5, or the scale's don't-know code (str)
    text/long_text -> stripped, non-empty str
    number    -> int or float
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from components.model import Atlas, Text
from components.yamlsrc import PathKey, Problem, Source

ROOT_KEY = "questionnaire"
SINGLE, MULTIPLE, LIKERT, TEXT, LONG_TEXT, NUMBER = (
    "single", "multiple", "likert", "text", "long_text", "number",
)
TYPES = (SINGLE, MULTIPLE, LIKERT, TEXT, LONG_TEXT, NUMBER)
CHOICE_TYPES = (SINGLE, MULTIPLE)
TEXT_TYPES = (TEXT, LONG_TEXT)
SCALE_POINTS = 5
DEFAULT_MAX_LENGTH = {TEXT: 200, LONG_TEXT: 2000}
MAX_TEXT_LENGTH = 10_000
QUESTION_ID_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
"""Question ids become export column names: a letter first, then letters, digits, '_' (SPSS/R-safe)."""
SESSION_CODE_RE = re.compile(r"^[A-Za-z0-9-]{3,16}$")

_QUESTION_KEYS = {
    "id", "type", "label", "help", "required", "options", "artefact", "criterion",
    "min", "max", "integer", "max_length",
}
_SECTION_KEYS = {"id", "title", "intro", "artefact", "questions"}
_OPTION_KEYS = {"code", "label", "exclusive"}


# ------------------------------------------------------------------------------------------- model


@dataclass(frozen=True)
class Option:
    code: str
    label: Text
    exclusive: bool = False
    """Only for multiple choice: this option ("none of these") cannot be combined with others."""


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    label: Text
    help: Text | None = None
    required: bool = False
    options: tuple[Option, ...] = ()
    artefact: str | None = None
    """Likert items: the diagram id the statement is about (None for whole-set criteria)."""
    criterion: str | None = None
    """Likert items: the criterion id; the construct is (artefact, criterion set)."""
    min: float | None = None
    max: float | None = None
    integer: bool = False
    max_length: int | None = None

    def option(self, code: str) -> Option | None:
        return next((o for o in self.options if o.code == code), None)


@dataclass(frozen=True)
class SurveySection:
    id: str
    title: Text
    questions: tuple[Question, ...]
    intro: Text | None = None
    artefact: str | None = None
    """When set, the page shows a small preview of this diagram and a link to it."""


@dataclass(frozen=True)
class Criterion:
    id: str
    label: Text
    overall: bool = False
    """Rated for the set of artefacts as a whole, so its items carry no ``artefact``."""


@dataclass(frozen=True)
class ConsentPoint:
    title: Text
    text: Text


@dataclass(frozen=True)
class Consent:
    title: Text
    intro: Text
    points: tuple[ConsentPoint, ...]
    agree: Text


@dataclass(frozen=True)
class Scale:
    anchors: tuple[Text, ...]
    """Labels of points 1..5, in order."""
    dont_know_code: str
    dont_know_label: Text

    def point_label(self, value: int | str) -> Text:
        if value == self.dont_know_code:
            return self.dont_know_label
        return self.anchors[int(value) - 1]


@dataclass(frozen=True)
class Survey:
    id: str
    title: Text
    intro: Text | None
    consent: Consent
    scale: Scale
    criteria: tuple[Criterion, ...]
    sections: tuple[SurveySection, ...]
    version: str = ""
    """Hash of the canonical parsed definition (everything above); set by :func:`parse_survey`."""

    @property
    def questions(self) -> list[Question]:
        return [q for s in self.sections for q in s.questions]

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def criterion(self, criterion_id: str | None) -> Criterion | None:
        return next((c for c in self.criteria if c.id == criterion_id), None)

    def section_of(self, question_id: str) -> int | None:
        for i, section in enumerate(self.sections):
            if any(q.id == question_id for q in section.questions):
                return i
        return None

    def constructs(self) -> dict[str | None, list[str]]:
        """``{artefact id: [likert question ids]}``: an artefact's construct is its set of criterion
        items (definition order); key None holds the items about the whole set of artefacts."""
        out: dict[str | None, list[str]] = {}
        for q in self.questions:
            if q.type == LIKERT:
                out.setdefault(q.artefact, []).append(q.id)
        return out


def definition_version(survey: Survey) -> str:
    """12 hex digits of SHA-256 over the canonical JSON of the definition (version field excluded)."""
    data = asdict(survey)
    data.pop("version", None)
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]


# ------------------------------------------------------------------------------------------ parsing


def parse_survey(src: Source, languages: list[str], atlas: Atlas, problems: list[Problem]) -> Survey | None:
    """Parse ``questionnaire.yaml``; every problem is appended (file:line:field), never raised.

    Returns the survey even when problems were found (the loader then refuses the whole atlas), or
    None when the file's structure is too broken to build one.
    """
    from components.loader import Checker  # the loader imports this module lazily

    c = Checker(src, languages, problems)
    data = src.data
    if not isinstance(data, dict) or not isinstance(data.get(ROOT_KEY), dict):
        problems.append(Problem(src.file, src.line(()), ROOT_KEY,
                                f"expected a top-level '{ROOT_KEY}:' mapping"))
        return None
    body = data[ROOT_KEY]
    p: PathKey = (ROOT_KEY,)
    sid = c.ident(body, p)
    title = c.text(body, p, "title")
    intro = c.text(body, p, "intro", required=False)
    consent = _parse_consent(c, body, p)
    scale = _parse_scale(c, body, p)
    criteria = _parse_criteria(c, body, p)
    sections = _parse_sections(c, body, p, atlas, criteria, scale)
    if not sections and "sections" in body and isinstance(body["sections"], list):
        c.problem((*p, "sections"), "expected at least one section with questions")
    survey = Survey(
        id=sid or "questionnaire",
        title=title or {},
        intro=intro,
        consent=consent or Consent({}, {}, (), {}),
        scale=scale or Scale((), "dk", {}),
        criteria=tuple(criteria.values()),
        sections=tuple(sections),
    )
    return replace(survey, version=definition_version(survey))


def _parse_consent(c: Any, body: dict, p: PathKey) -> Consent | None:
    raw = c.mapping(body, p, "consent")
    if raw is None:
        return None
    cp = (*p, "consent")
    points = []
    for pp, item in c.items(raw, cp, "points", required=True):
        pt, px = c.text(item, pp, "title"), c.text(item, pp, "text")
        if pt and px:
            points.append(ConsentPoint(pt, px))
    if "points" in raw and not points and isinstance(raw["points"], list) and not raw["points"]:
        c.problem((*cp, "points"), "expected at least one point (purpose, participation, data, contact...)")
    return Consent(
        title=c.text(raw, cp, "title") or {},
        intro=c.text(raw, cp, "intro") or {},
        points=tuple(points),
        agree=c.text(raw, cp, "agree") or {},
    )


def _parse_scale(c: Any, body: dict, p: PathKey) -> Scale | None:
    raw = c.mapping(body, p, "scale")
    if raw is None:
        return None
    sp = (*p, "scale")
    expected = f"a list of {SCALE_POINTS} texts (labels of points 1..{SCALE_POINTS})"
    anchors = c.get(raw, sp, "anchors", list, expected)
    labels: list[Text] = []
    if anchors is not None:
        if len(anchors) != SCALE_POINTS:
            c.problem((*sp, "anchors"), f"expected exactly {SCALE_POINTS} anchor labels "
                                        f"(points 1..{SCALE_POINTS}), found {len(anchors)}")
        for i, item in enumerate(anchors):
            text = c.text_value(item, (*sp, "anchors", i))
            if text:
                labels.append(text)
    dk = c.mapping(raw, sp, "dont_know")
    code, label = None, None
    if dk is not None:
        dp = (*sp, "dont_know")
        code = c.ident(dk, dp, "code")
        label = c.text(dk, dp, "label")
    return Scale(tuple(labels), code or "dk", label or {})


def _parse_criteria(c: Any, body: dict, p: PathKey) -> dict[str, Criterion]:
    out: dict[str, Criterion] = {}
    for cp, item in c.items(body, p, "criteria", required=True):
        cid = c.ident(item, cp)
        label = c.text(item, cp, "label")
        overall = c.get(item, cp, "overall", bool, "true or false", required=False) or False
        if cid:
            if cid in out:
                c.problem((*cp, "id"), f"duplicate criterion id '{cid}'")
            out[cid] = Criterion(cid, label or {}, overall)
    return out


def _parse_sections(c: Any, body: dict, p: PathKey, atlas: Atlas, criteria: dict[str, Criterion],
                    scale: Scale | None) -> list[SurveySection]:
    sections: list[SurveySection] = []
    section_lines: dict[str, int | None] = {}
    question_lines: dict[str, int | None] = {}
    for sp, item in c.items(body, p, "sections", required=True):
        _unknown_keys(c, item, sp, _SECTION_KEYS, "section")
        sec_id = c.ident(item, sp)
        if sec_id:
            if sec_id in section_lines:
                c.problem((*sp, "id"),
                          f"duplicate section id '{sec_id}' (first at line {section_lines[sec_id]})")
            else:
                section_lines[sec_id] = c.src.line((*sp, "id"))
        artefact = c.get(item, sp, "artefact", str, "a diagram id", required=False)
        if artefact is not None and artefact not in atlas.diagrams:
            c.problem((*sp, "artefact"), _unknown_artefact(artefact, atlas))
            artefact = None
        questions = []
        for qp, qitem in c.items(item, sp, "questions", required=True):
            q = _parse_question(c, qp, qitem, atlas, criteria, scale)
            if q is None:
                continue
            if q.id in question_lines:
                c.problem((*qp, "id"),
                          f"duplicate question id '{q.id}' (first at line {question_lines[q.id]})")
                continue
            question_lines[q.id] = c.src.line((*qp, "id"))
            questions.append(q)
        if isinstance(item.get("questions"), list) and not item["questions"]:
            c.problem((*sp, "questions"), "expected at least one question")
        sections.append(SurveySection(
            id=sec_id or f"section-{len(sections) + 1}",
            title=c.text(item, sp, "title") or {},
            questions=tuple(questions),
            intro=c.text(item, sp, "intro", required=False),
            artefact=artefact,
        ))
    return sections


def _parse_question(c: Any, qp: PathKey, item: dict, atlas: Atlas, criteria: dict[str, Criterion],
                    scale: Scale | None) -> Question | None:
    _unknown_keys(c, item, qp, _QUESTION_KEYS, "question")
    qid = c.get(item, qp, "id", str, "a question id (a letter, then lowercase letters, digits or '_')")
    if qid is not None and not QUESTION_ID_RE.match(qid):
        c.problem((*qp, "id"), f"'{qid}' is not a valid question id; use a lowercase letter, then lowercase "
                               "letters, digits or '_' (at most 40), so it can be an export column name")
        qid = None
    qtype = c.get(item, qp, "type", str, f"one of {', '.join(TYPES)}")
    if qtype is not None and qtype not in TYPES:
        c.problem((*qp, "type"), f"unknown question type '{qtype}'; expected one of {', '.join(TYPES)}")
        qtype = None
    label = c.text(item, qp, "label")
    help_text = c.text(item, qp, "help", required=False)
    required = c.get(item, qp, "required", bool, "true or false", required=False) or False

    options: list[Option] = []
    if qtype in CHOICE_TYPES:
        options = _parse_options(c, qp, item, qtype)
    elif "options" in item:
        c.problem((*qp, "options"), f"only {' and '.join(CHOICE_TYPES)} questions have options")

    artefact = criterion = None
    if qtype == LIKERT:
        criterion = c.get(item, qp, "criterion", str, "a criterion id from 'criteria'")
        crit = criteria.get(criterion) if criterion else None
        if criterion is not None and crit is None:
            known = ", ".join(criteria) or "none declared"
            c.problem((*qp, "criterion"), f"unknown criterion '{criterion}' (criteria: {known})")
        artefact = c.get(item, qp, "artefact", str, "the id of the diagram the statement is about",
                         required=not (crit and crit.overall))
        if artefact is not None and artefact not in atlas.diagrams:
            c.problem((*qp, "artefact"), _unknown_artefact(artefact, atlas))
    else:
        for key in ("artefact", "criterion"):
            if key in item:
                c.problem((*qp, key), "only likert questions are rated per artefact and criterion")

    minimum = maximum = None
    integer = False
    if qtype == NUMBER:
        minimum = _number(c, item, qp, "min")
        maximum = _number(c, item, qp, "max")
        integer = c.get(item, qp, "integer", bool, "true or false", required=False) or False
        if minimum is not None and maximum is not None and minimum > maximum:
            c.problem((*qp, "max"), f"max ({maximum}) is smaller than min ({minimum})")
    else:
        for key in ("min", "max", "integer"):
            if key in item:
                c.problem((*qp, key), "only number questions have min, max and integer")

    max_length = None
    if qtype in TEXT_TYPES:
        max_length = c.get(item, qp, "max_length", int, f"a whole number from 1 to {MAX_TEXT_LENGTH}",
                           required=False)
        if max_length is not None and not 1 <= max_length <= MAX_TEXT_LENGTH:
            c.problem((*qp, "max_length"),
                      f"expected a whole number from 1 to {MAX_TEXT_LENGTH}, found {max_length}")
            max_length = None
        max_length = max_length or DEFAULT_MAX_LENGTH[qtype]
    elif "max_length" in item:
        c.problem((*qp, "max_length"), "only text and long_text questions have max_length")

    if not qid or not qtype:
        return None
    return Question(
        id=qid, type=qtype, label=label or {}, help=help_text, required=required, options=tuple(options),
        artefact=artefact if artefact in atlas.diagrams else None, criterion=criterion,
        min=minimum, max=maximum, integer=integer, max_length=max_length,
    )


def _parse_options(c: Any, qp: PathKey, item: dict, qtype: str) -> list[Option]:
    if "options" not in item or item["options"] is None:
        c.problem((*qp, "options"),
                  f"is missing; a {qtype} question needs a list of options with code and label")
        return []
    options: list[Option] = []
    seen: dict[str, int | None] = {}
    raw = item.get("options")
    if isinstance(raw, list) and len(raw) < 2:
        c.problem((*qp, "options"), f"expected at least two options, found {len(raw)}")
    for op, oitem in c.items(item, qp, "options", required=True):
        _unknown_keys(c, oitem, op, _OPTION_KEYS, "option")
        code = c.ident(oitem, op, "code")
        label = c.text(oitem, op, "label")
        exclusive = c.get(oitem, op, "exclusive", bool, "true or false", required=False) or False
        if exclusive and qtype != MULTIPLE:
            c.problem((*op, "exclusive"), "only options of a multiple question can be exclusive")
        if code:
            if code in seen:
                c.problem((*op, "code"), f"duplicate option code '{code}' (first at line {seen[code]})")
                continue
            seen[code] = c.src.line((*op, "code"))
            options.append(Option(code, label or {}, exclusive))
    return options


def _number(c: Any, item: dict, qp: PathKey, key: str) -> float | None:
    value = c.get(item, qp, key, (int, float), "a number", required=False)
    return float(value) if value is not None else None


def _unknown_keys(c: Any, item: dict, path: PathKey, allowed: set[str], what: str) -> None:
    """A misspelt key ('requird') would otherwise be ignored silently and change the questionnaire."""
    for key in item:
        if key not in allowed:
            c.problem((*path, key),
                      f"unknown {what} field '{key}'; expected one of {', '.join(sorted(allowed))}")


def _unknown_artefact(artefact: str, atlas: Atlas) -> str:
    known = ", ".join(atlas.diagrams) or "none"
    return f"unknown artefact '{artefact}': no diagram has this id (diagrams: {known})"


# ------------------------------------------------------------------------------------------ answers


@dataclass(frozen=True)
class AnswerError:
    """One invalid answer; ``key`` is a UI string key (``survey.error.*``) the page translates."""

    question_id: str
    key: str
    params: dict[str, Any] = field(default_factory=dict)


def normalize(question: Question, value: Any) -> Any:
    """The canonical stored form of a widget value; empty answers become None."""
    if value is None:
        return None
    if question.type in TEXT_TYPES:
        if not isinstance(value, str):
            return value
        value = value.strip()
        return value or None
    if question.type == MULTIPLE:
        if isinstance(value, list | tuple):
            if not value:
                return None
            order = {o.code: i for i, o in enumerate(question.options)}
            if all(isinstance(v, str) for v in value):
                return sorted(dict.fromkeys(value), key=lambda v: order.get(v, len(order)))
            return list(value)
        return value
    if question.type == NUMBER:
        if isinstance(value, float) and value.is_integer() and question.integer:
            return int(value)
        return value
    if question.type == LIKERT and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def check_answer(survey: Survey, question: Question, value: Any) -> AnswerError | None:
    """Why ``value`` (already normalised) is not an acceptable answer to ``question``, or None."""
    qid = question.id
    if value is None:
        return AnswerError(qid, "survey.error.required") if question.required else None
    if question.type == SINGLE:
        if not isinstance(value, str) or question.option(value) is None:
            return AnswerError(qid, "survey.error.invalid_option")
    elif question.type == MULTIPLE:
        if not isinstance(value, list) or not all(isinstance(v, str) and question.option(v) for v in value):
            return AnswerError(qid, "survey.error.invalid_option")
        if len(value) != len(set(value)):
            return AnswerError(qid, "survey.error.invalid_option")
        exclusive = [v for v in value if question.option(v).exclusive]  # type: ignore[union-attr]
        if exclusive and len(value) > 1:
            return AnswerError(qid, "survey.error.exclusive",
                               {"option_code": exclusive[0]})
    elif question.type == LIKERT:
        if value == survey.scale.dont_know_code:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= SCALE_POINTS:
            return AnswerError(qid, "survey.error.invalid_option")
    elif question.type in TEXT_TYPES:
        if not isinstance(value, str):
            return AnswerError(qid, "survey.error.invalid_text")
        if question.max_length is not None and len(value) > question.max_length:
            return AnswerError(qid, "survey.error.too_long", {"max": question.max_length})
    elif question.type == NUMBER:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            return AnswerError(qid, "survey.error.not_a_number")
        if question.integer and not float(value).is_integer():
            return AnswerError(qid, "survey.error.not_integer")
        if question.min is not None and value < question.min:
            return AnswerError(qid, "survey.error.too_small", {"min": _fmt(question.min)})
        if question.max is not None and value > question.max:
            return AnswerError(qid, "survey.error.too_large", {"max": _fmt(question.max)})
    return None


def _fmt(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def validate_answers(survey: Survey, answers: dict[str, Any],
                     section: int | None = None) -> list[AnswerError]:
    """Every problem with ``answers``, in question order; only one section's questions if given.

    Unknown question ids are errors too: a response must not carry data the definition never asked.
    """
    errors: list[AnswerError] = []
    if section is None:
        known = {q.id for q in survey.questions}
        errors.extend(AnswerError(str(k), "survey.error.unknown_question") for k in answers if k not in known)
        questions = survey.questions
    else:
        questions = list(survey.sections[section].questions)
    for q in questions:
        error = check_answer(survey, q, normalize(q, answers.get(q.id)))
        if error:
            errors.append(error)
    return errors


def complete_answers(survey: Survey, answers: dict[str, Any]) -> dict[str, Any]:
    """The stored shape: every question id of the survey, normalised value or None, in order."""
    return {q.id: normalize(q, answers.get(q.id)) for q in survey.questions}


def restorable_answers(survey: Survey, answers: Any) -> dict[str, Any]:
    """The still-valid part of saved answers (a draft from an older version may not all fit)."""
    if not isinstance(answers, dict):
        return {}
    out: dict[str, Any] = {}
    for q in survey.questions:
        value = normalize(q, answers.get(q.id))
        if value is not None and check_answer(survey, q, value) is None:
            out[q.id] = value
    return out


def progress(survey: Survey, answers: dict[str, Any]) -> tuple[int, int]:
    """(answered, total) questions, for the progress bar."""
    total = len(survey.questions)
    answered = sum(1 for q in survey.questions if normalize(q, answers.get(q.id)) is not None)
    return answered, total


def normalize_session_code(raw: object) -> str | None:
    """A workshop session code from ``?session=``: short, safe characters, upper-case; else None."""
    if not isinstance(raw, str):
        return None
    raw = raw.strip()
    return raw.upper() if SESSION_CODE_RE.match(raw) else None
