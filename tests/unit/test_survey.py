"""The questionnaire definition: the real one is complete, broken ones are reported by file, line and
field, and answers are validated on the server side exactly as the stored shape promises."""

from __future__ import annotations

import re
import shutil
import textwrap
from pathlib import Path

import pytest

from components import storage
from components import survey as sv
from components.loader import load_atlas
from components.yamlsrc import Problem, read_yaml
from tests.conftest import ARTEFACTS

LANGS = ["pt-BR", "en"]
FILE = "questionnaire.yaml"

MINIMAL = """\
questionnaire:
  id: mini
  title: {pt-BR: Mini, en: Mini}
  consent:
    title: {pt-BR: Consentimento, en: Consent}
    intro: {pt-BR: Introdução, en: Intro}
    points:
      - title: {pt-BR: Objetivo, en: Purpose}
        text: {pt-BR: Texto, en: Text}
    agree: {pt-BR: Concordo, en: I agree}
  scale:
    anchors:
      - {pt-BR: Discordo totalmente, en: Strongly disagree}
      - {pt-BR: Discordo, en: Disagree}
      - {pt-BR: Neutro, en: Neutral}
      - {pt-BR: Concordo, en: Agree}
      - {pt-BR: Concordo totalmente, en: Strongly agree}
    dont_know:
      code: dk
      label: {pt-BR: Não sei, en: Don't know}
  criteria:
    - id: clarity
      label: {pt-BR: Clareza, en: Clarity}
    - id: whole
      overall: true
      label: {pt-BR: Geral, en: Overall}
  sections:
    - id: one
      artefact: practices
      title: {pt-BR: Um, en: One}
      questions:
        - id: role
          type: single
          required: true
          label: {pt-BR: Papel, en: Role}
          options:
            - code: a
              label: {pt-BR: A, en: A}
            - code: b
              label: {pt-BR: B, en: B}
        - id: tools
          type: multiple
          label: {pt-BR: Ferramentas, en: Tools}
          options:
            - code: x
              label: {pt-BR: X, en: X}
            - code: y
              label: {pt-BR: Y, en: Y}
            - code: none
              exclusive: true
              label: {pt-BR: Nenhuma, en: None}
        - id: clear
          type: likert
          required: true
          artefact: practices
          criterion: clarity
          label: {pt-BR: Claro, en: Clear}
        - id: years
          type: number
          integer: true
          min: 0
          max: 50
          label: {pt-BR: Anos, en: Years}
        - id: note
          type: text
          max_length: 10
          label: {pt-BR: Nota, en: Note}
        - id: comment
          type: long_text
          label: {pt-BR: Comentário, en: Comment}
    - id: two
      title: {pt-BR: Dois, en: Two}
      questions:
        - id: again
          type: likert
          required: true
          criterion: whole
          label: {pt-BR: De novo, en: Again}
"""


@pytest.fixture(scope="module")
def atlas():
    result = load_atlas(ARTEFACTS)
    assert result.ok, [str(p) for p in result.problems]
    return result.atlas


def parse(text: str, atlas, tmp_path: Path) -> tuple[sv.Survey | None, list[Problem]]:
    path = tmp_path / FILE
    path.write_text(text, encoding="utf-8")
    src, problems = read_yaml(path, FILE)
    if src is None:
        return None, problems
    survey = sv.parse_survey(src, LANGS, atlas, problems)
    return survey, problems


def line_of(text: str, fragment: str, occurrence: int = 1) -> int:
    """1-based line of the n-th line containing ``fragment``."""
    hits = [i + 1 for i, line in enumerate(text.splitlines()) if fragment in line]
    return hits[occurrence - 1]


@pytest.fixture
def mini(atlas, tmp_path: Path) -> sv.Survey:
    survey, problems = parse(MINIMAL, atlas, tmp_path)
    assert problems == []
    assert survey is not None
    return survey


# ----------------------------------------------------------------------------- the real questionnaire


def test_real_questionnaire_loads_with_the_atlas(atlas) -> None:
    survey = atlas.survey
    assert isinstance(survey, sv.Survey)
    assert re.fullmatch(r"[0-9a-f]{12}", survey.version)
    assert survey.version == sv.definition_version(survey)


def test_real_questionnaire_rates_each_artefact_on_every_criterion(atlas) -> None:
    survey = atlas.survey
    wanted = {"understandability", "completeness", "correctness", "usefulness", "applicability",
              "visual-quality"}
    constructs = survey.constructs()
    for diagram_id in ("practices", "governance", "lifecycle"):
        items = [survey.question(qid) for qid in constructs[diagram_id]]
        assert {q.criterion for q in items} == wanted, diagram_id
        section = next(s for s in survey.sections if s.artefact == diagram_id)
        assert any(q.type == sv.LONG_TEXT for q in section.questions), f"{diagram_id}: no open comment"
    assert survey.scale.dont_know_code not in (1, 2, 3, 4, 5, "3")
    assert len(survey.scale.anchors) == 5


def test_real_questionnaire_has_profile_consent_and_closing(atlas) -> None:
    survey = atlas.survey
    ids = {q.id for q in survey.questions}
    assert {"role", "experience_years", "org_size", "org_sector", "mlops_adoption"} <= ids
    types = {q.type for q in survey.questions}
    assert {sv.SINGLE, sv.MULTIPLE, sv.LIKERT, sv.LONG_TEXT, sv.NUMBER} <= types
    closing = survey.sections[-1]
    assert any(q.criterion == "intention" for q in closing.questions)
    assert any(q.type == sv.LONG_TEXT for q in closing.questions)
    assert len(survey.consent.points) >= 5


def test_every_text_is_bilingual(atlas) -> None:
    survey = atlas.survey

    def texts(obj):
        if isinstance(obj, dict) and set(obj) == set(LANGS):
            yield obj
        elif isinstance(obj, dict):
            for v in obj.values():
                yield from texts(v)
        elif isinstance(obj, list | tuple):
            for v in obj:
                yield from texts(v)

    from dataclasses import asdict

    found = list(texts(asdict(survey)))
    assert len(found) > 100
    assert all(t["pt-BR"].strip() and t["en"].strip() for t in found)


def test_consent_promises_the_draft_retention_the_code_applies(atlas) -> None:
    days = str(storage.DRAFT_TTL.days)
    for lang in LANGS:
        text = " ".join(p.text[lang] for p in atlas.survey.consent.points)
        assert f"{days} " in text, lang
        assert "UFABC" in text


# --------------------------------------------------------------------------------------------- version


def test_version_ignores_formatting_but_not_wording(atlas, tmp_path: Path) -> None:
    base, _ = parse(MINIMAL, atlas, tmp_path)
    commented, _ = parse("# a comment\n" + MINIMAL.replace("title: {pt-BR: Um, en: One}",
                                                           "title:\n        pt-BR: Um\n        en: One"),
                         atlas, tmp_path)
    reworded, _ = parse(MINIMAL.replace("en: Clear}", "en: Very clear}"), atlas, tmp_path)
    recoded, _ = parse(MINIMAL.replace("code: dk", "code: dk-na"), atlas, tmp_path)
    assert base.version == commented.version
    assert len({base.version, reworded.version, recoded.version}) == 3


# ------------------------------------------------------------------------------------ broken definitions


Q0 = "questionnaire.sections[0].questions"
Q1 = "questionnaire.sections[1].questions"
BROKEN = [
    # (description, old, new, line fragment (or (fragment, occurrence)), field, message fragment)
    ("unknown type", "type: number", "type: slider", "type: slider",
     Q0 + "[3].type", "unknown question type 'slider'"),
    ("missing options", """          options:
            - code: a
              label: {pt-BR: A, en: A}
            - code: b
              label: {pt-BR: B, en: B}
""", "", "- id: role", Q0 + "[0].options", "is missing; a single question"),
    ("duplicate question id", "- id: again", "- id: role", ("- id: role", 2),
     Q1 + "[0].id", "duplicate question id 'role' (first at line"),
    ("missing translation", "label: {pt-BR: Claro, en: Clear}", "label: {pt-BR: Claro}",
     "label: {pt-BR: Claro}", Q0 + "[2].label", "missing translation 'en'"),
    ("unknown artefact", "artefact: practices\n          criterion",
     "artefact: pipelines\n          criterion", "artefact: pipelines", Q0 + "[2].artefact",
     "unknown artefact 'pipelines': no diagram has this id"),
    ("unknown section artefact", "artefact: practices\n      title", "artefact: nope\n      title",
     "artefact: nope", "questionnaire.sections[0].artefact", "unknown artefact 'nope'"),
    ("unknown criterion", "criterion: clarity", "criterion: beauty", "criterion: beauty",
     Q0 + "[2].criterion", "unknown criterion 'beauty' (criteria: clarity, whole)"),
    ("likert without artefact", "          artefact: practices\n          criterion: clarity",
     "          criterion: clarity", "- id: clear", Q0 + "[2].artefact",
     "is missing; expected the id of the diagram"),
    ("duplicate option code", "- code: y", "- code: x", ("- code: x", 2),
     Q0 + "[1].options[1].code", "duplicate option code 'x'"),
    ("exclusive on single", "            - code: b\n",
     "            - code: b\n              exclusive: true\n", "exclusive: true",
     Q0 + "[0].options[1].exclusive", "only options of a multiple question can be exclusive"),
    ("misspelt field", "required: true\n          label: {pt-BR: Papel",
     "requird: true\n          label: {pt-BR: Papel", "requird: true",
     Q0 + "[0].requird", "unknown question field 'requird'"),
    ("bad question id", "- id: years", "- id: Years-Of", "- id: Years-Of",
     Q0 + "[3].id", "'Years-Of' is not a valid question id"),
    ("min above max", "min: 0", "min: 60", "max: 50", Q0 + "[3].max",
     "max (50.0) is smaller than min (60.0)"),
    ("four anchors", "      - {pt-BR: Neutro, en: Neutral}\n", "", "anchors:",
     "questionnaire.scale.anchors", "expected exactly 5 anchor labels"),
    ("required not a boolean", "required: true\n          artefact",
     "required: yes please\n          artefact", "required: yes please", Q0 + "[2].required",
     "expected true or false"),
    ("options on a likert", "          criterion: whole\n",
     "          criterion: whole\n          options: []\n", "options: []", Q1 + "[0].options",
     "only single and multiple questions"),
    ("text too long limit", "max_length: 10", "max_length: 0", "max_length: 0",
     Q0 + "[4].max_length", "expected a whole number from 1 to 10000"),
    ("no dont-know code", "      code: dk\n", "", "dont_know:", "questionnaire.scale.dont_know.code",
     "is missing"),
]


@pytest.mark.parametrize(("old", "new", "fragment", "field", "message"),
                         [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_broken_definition_names_file_line_and_field(atlas, tmp_path: Path, old, new, fragment, field,
                                                     message) -> None:
    assert old in MINIMAL
    text = MINIMAL.replace(old, new, 1)
    _, problems = parse(text, atlas, tmp_path)
    expected_line = line_of(text, *fragment) if isinstance(fragment, tuple) else line_of(text, fragment)
    matching = [p for p in problems if p.field == field and message in p.message]
    assert matching, [str(p) for p in problems]
    problem = matching[0]
    assert problem.file == FILE
    assert problem.line == expected_line, (str(problem), expected_line)
    assert str(problem).startswith(f"{FILE}:{expected_line}: {field}: ")


def test_invalid_yaml_syntax_is_reported_with_its_line(artefact_copy: Path) -> None:
    (artefact_copy / FILE).write_text(MINIMAL.replace("  criteria:", "  criteria: [oops", 1))
    result = load_atlas(artefact_copy)
    assert result.atlas is None
    problem = next(p for p in result.problems if p.file == FILE)
    assert "is not valid YAML" in problem.message
    assert problem.line is not None


def test_loader_refuses_the_atlas_when_the_questionnaire_is_broken(artefact_copy: Path) -> None:
    shutil.copy(ARTEFACTS / FILE, artefact_copy / FILE)
    text = (artefact_copy / FILE).read_text(encoding="utf-8")
    (artefact_copy / FILE).write_text(text.replace("type: likert", "type: stars", 1), encoding="utf-8")
    result = load_atlas(artefact_copy)
    assert result.atlas is None
    messages = [str(p) for p in result.problems]
    line = line_of(text, "type: likert")
    assert any(m.startswith(f"{FILE}:{line}: ") and "unknown question type 'stars'" in m for m in messages)


def test_missing_root_key(atlas, tmp_path: Path) -> None:
    survey, problems = parse("survey:\n  id: x\n", atlas, tmp_path)
    assert survey is None
    assert problems[0].field == "questionnaire"
    assert "top-level 'questionnaire:'" in problems[0].message


# ---------------------------------------------------------------------------------------------- answers


def keys(errors: list[sv.AnswerError]) -> dict[str, str]:
    return {e.question_id: e.key for e in errors}


def test_required_answers_are_enforced(mini: sv.Survey) -> None:
    assert keys(sv.validate_answers(mini, {})) == {
        "role": "survey.error.required", "clear": "survey.error.required", "again": "survey.error.required"}
    assert keys(sv.validate_answers(mini, {}, section=1)) == {"again": "survey.error.required"}
    ok = {"role": "a", "clear": 4, "again": "dk"}
    assert sv.validate_answers(mini, ok) == []


@pytest.mark.parametrize(("qid", "value", "key"), [
    ("role", "c", "survey.error.invalid_option"),
    ("role", ["a"], "survey.error.invalid_option"),
    ("tools", ["x", "zzz"], "survey.error.invalid_option"),
    ("tools", "x", "survey.error.invalid_option"),
    ("tools", ["x", "none"], "survey.error.exclusive"),
    ("clear", 0, "survey.error.invalid_option"),
    ("clear", 6, "survey.error.invalid_option"),
    ("clear", 3.5, "survey.error.invalid_option"),
    ("clear", True, "survey.error.invalid_option"),
    ("clear", "3", "survey.error.invalid_option"),
    ("clear", "dont-know", "survey.error.invalid_option"),
    ("years", -1, "survey.error.too_small"),
    ("years", 51, "survey.error.too_large"),
    ("years", 2.5, "survey.error.not_integer"),
    ("years", float("nan"), "survey.error.not_a_number"),
    ("years", "7", "survey.error.not_a_number"),
    ("years", False, "survey.error.not_a_number"),
    ("note", "x" * 11, "survey.error.too_long"),
    ("note", 5, "survey.error.invalid_text"),
    ("comment", "y" * 2001, "survey.error.too_long"),
])
def test_invalid_answers_are_rejected(mini: sv.Survey, qid: str, value, key: str) -> None:
    answers = {"role": "a", "clear": 3, "again": 1, qid: value}
    assert keys(sv.validate_answers(mini, answers)) == {qid: key}


def test_valid_answers_of_every_type(mini: sv.Survey) -> None:
    answers = {"role": "b", "tools": ["y", "x"], "clear": "dk", "years": 12.0, "note": "  fine ",
               "comment": "c" * 2000, "again": 5}
    assert sv.validate_answers(mini, answers) == []
    assert sv.complete_answers(mini, answers) == {
        "role": "b", "tools": ["x", "y"], "clear": "dk", "years": 12, "note": "fine",
        "comment": "c" * 2000, "again": 5}


def test_exclusive_option_alone_is_fine_and_error_names_it(mini: sv.Survey) -> None:
    assert sv.validate_answers(mini, {"role": "a", "clear": 1, "again": 1, "tools": ["none"]}) == []
    error = sv.validate_answers(mini, {"role": "a", "clear": 1, "again": 1, "tools": ["none", "x"]})[0]
    assert error.params == {"option_code": "none"}


def test_unknown_questions_are_rejected(mini: sv.Survey) -> None:
    errors = sv.validate_answers(mini, {"role": "a", "clear": 1, "again": 1, "ip_address": "1.2.3.4"})
    assert keys(errors) == {"ip_address": "survey.error.unknown_question"}


def test_stored_shape_has_every_question_and_none_for_missing(mini: sv.Survey) -> None:
    stored = sv.complete_answers(mini, {"role": "a", "note": "   ", "tools": []})
    assert list(stored) == [q.id for q in mini.questions]
    assert stored == {"role": "a", "tools": None, "clear": None, "years": None, "note": None,
                      "comment": None, "again": None}


def test_restorable_answers_drop_what_no_longer_fits(mini: sv.Survey) -> None:
    saved = {"role": "gone-option", "clear": 4, "years": 99, "removed_question": "x", "note": "ok"}
    assert sv.restorable_answers(mini, saved) == {"clear": 4, "note": "ok"}
    assert sv.restorable_answers(mini, None) == {}


def test_progress_counts_answered_questions(mini: sv.Survey) -> None:
    assert sv.progress(mini, {}) == (0, 7)
    assert sv.progress(mini, {"role": "a", "note": " ", "tools": ["x"]}) == (2, 7)


def test_helpers_of_the_model(mini: sv.Survey) -> None:
    assert mini.section_of("again") == 1
    assert mini.section_of("nope") is None
    assert mini.constructs() == {"practices": ["clear"], None: ["again"]}
    assert mini.scale.point_label("dk")["en"] == "Don't know"
    assert mini.scale.point_label(5)["en"] == "Strongly agree"
    assert mini.question("clear").artefact == "practices"
    assert mini.criterion("whole").overall is True


@pytest.mark.parametrize(("raw", "expected"), [
    ("abc123", "ABC123"), (" ws-01 ", "WS-01"), ("K7P2QX", "K7P2QX"), ("ab", None), ("a" * 17, None),
    ("<script>", None), ("ab c1", None), ("ção12", None), (None, None), (["ABC"], None),
])
def test_session_codes_are_validated_and_upper_cased(raw, expected) -> None:
    assert sv.normalize_session_code(raw) == expected


def test_minimal_fixture_matches_the_documented_types() -> None:
    assert textwrap.dedent(MINIMAL) == MINIMAL
    assert set(re.findall(r"type: (\w+)", MINIMAL)) == set(sv.TYPES)
