"""Load and validate an artefact directory into an :class:`~components.model.Atlas`.

Validation collects *every* problem before giving up, because an author fixing one error per run
is slow; each problem names file, line, field path and what was expected.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from components.model import (
    EDGE_KINDS,
    LAYOUTS,
    Atlas,
    Diagram,
    Edge,
    Group,
    Node,
    Reference,
    Section,
    Text,
)
from components.yamlsrc import PathKey, Problem, Source, format_path, read_yaml

MANIFEST = "atlas.yaml"
REFERENCES = "references.yaml"
DIAGRAM_DIR = "diagrams"
SURVEY_FILE = "questionnaire.yaml"

ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
LANG_RE = re.compile(r"^[a-z]{2}(-[A-Z]{2})?$")


@dataclass
class LoadResult:
    atlas: Atlas | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.atlas is not None and not self.problems


def content_version(root: Path) -> str:
    """A short, stable hash of every artefact file (path and bytes), so responses name what they saw."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.yaml")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:12]


class Checker:
    """Typed field access on one YAML source that records problems instead of raising."""

    def __init__(self, src: Source, languages: list[str], problems: list[Problem]):
        self.src = src
        self.languages = languages
        self.problems = problems

    def problem(self, path: PathKey, message: str) -> None:
        self.problems.append(Problem(self.src.file, self.src.line(path), format_path(path), message))

    def get(
        self,
        obj: dict[str, Any],
        path: PathKey,
        key: str,
        kind: type | tuple[type, ...],
        expected: str,
        required: bool = True,
    ) -> Any:
        if key not in obj or obj[key] is None:
            if required:
                self.problem((*path, key), f"is missing; expected {expected}")
            return None
        value = obj[key]
        if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
            ok = False
        else:
            ok = isinstance(value, kind)
        if not ok:
            self.problem((*path, key), f"expected {expected}, found {_describe(value)}")
            return None
        return value

    def mapping(self, obj: dict[str, Any], path: PathKey, key: str, required: bool = True):
        return self.get(obj, path, key, dict, "a mapping of fields", required)

    def items(self, obj: dict[str, Any], path: PathKey, key: str, required: bool = False):
        """A list (possibly empty) whose dict items are yielded with their paths."""
        value = self.get(obj, path, key, list, "a list", required)
        for i, item in enumerate(value or []):
            if isinstance(item, dict):
                yield (*path, key, i), item
            else:
                self.problem((*path, key, i), f"expected a mapping of fields, found {_describe(item)}")

    def ident(self, obj: dict[str, Any], path: PathKey, key: str = "id") -> str | None:
        value = self.get(obj, path, key, str, "an id (lowercase letters, digits and '-')")
        if value is not None and not ID_RE.match(value):
            self.problem((*path, key), f"'{value}' is not a valid id; use lowercase letters, digits and '-'")
            return None
        return value

    def text(self, obj: dict[str, Any], path: PathKey, key: str, required: bool = True) -> Text | None:
        if key not in obj or obj[key] is None:
            if required:
                self.problem((*path, key), f"is missing; expected a text in {self._langs()}")
            return None
        return self.text_value(obj[key], (*path, key))

    def text_value(self, value: Any, path: PathKey) -> Text | None:
        if not isinstance(value, dict):
            self.problem(
                path,
                f"expected a text in {self._langs()} (a mapping language: text), found {_describe(value)}",
            )
            return None
        result: Text = {}
        for lang, text in value.items():
            if lang not in self.languages:
                self.problem((*path, lang), f"unknown language '{lang}'; the atlas declares {self._langs()}")
                continue
            if not isinstance(text, str) or not text.strip():
                self.problem((*path, lang), f"expected a non-empty text, found {_describe(text)}")
                continue
            result[lang] = text.strip()
        for lang in self.languages:
            if lang not in value:
                self.problem(path, f"missing translation '{lang}'")
        return result if len(result) == len(self.languages) else None

    def text_list(self, obj: dict[str, Any], path: PathKey, key: str) -> list[Text]:
        value = self.get(obj, path, key, list, f"a list of texts in {self._langs()}", required=True)
        out = []
        for i, item in enumerate(value or []):
            text = self.text_value(item, (*path, key, i))
            if text:
                out.append(text)
        return out

    def id_list(self, obj: dict[str, Any], path: PathKey, key: str) -> list[tuple[PathKey, str]]:
        value = self.get(obj, path, key, list, "a list of ids", required=False)
        out = []
        for i, item in enumerate(value or []):
            if isinstance(item, str):
                out.append(((*path, key, i), item))
            else:
                self.problem((*path, key, i), f"expected an id, found {_describe(item)}")
        return out

    def _langs(self) -> str:
        return " and ".join(self.languages)


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, int | float):
        return f"the number {value}"
    return f"the text '{str(value)[:40]}'"


def _root(src: Source, key: str, problems: list[Problem]) -> dict[str, Any] | None:
    if not isinstance(src.data, dict) or not isinstance(src.data.get(key), dict):
        problems.append(Problem(src.file, src.line(()), key, f"expected a top-level '{key}:' mapping"))
        return None
    return src.data[key]


def _load_manifest(root: Path, problems: list[Problem]) -> tuple[dict[str, Any], list[str]] | None:
    path = root / MANIFEST
    if not path.exists():
        problems.append(Problem(MANIFEST, None, "", "is missing from the artefact directory"))
        return None
    src, probs = read_yaml(path, MANIFEST)
    problems.extend(probs)
    if src is None or src.data is None:
        return None
    body = _root(src, "atlas", problems)
    if body is None:
        return None
    raw_langs = body.get("languages")
    languages: list[str] = []
    if not isinstance(raw_langs, list) or not raw_langs:
        Checker(src, ["en"], problems).problem(
            ("atlas", "languages"), "expected a non-empty list of language codes such as [pt-BR, en]"
        )
    else:
        for i, lang in enumerate(raw_langs):
            if isinstance(lang, str) and LANG_RE.match(lang):
                languages.append(lang)
            else:
                Checker(src, ["en"], problems).problem(
                    ("atlas", "languages", i), f"'{lang}' is not a language code like pt-BR or en"
                )
    if not languages:
        return None
    c = Checker(src, languages, problems)
    manifest = {
        "src": src,
        "title": c.text(body, ("atlas",), "title"),
        "tagline": c.text(body, ("atlas",), "tagline"),
        "about": c.text(body, ("atlas",), "about"),
        "diagrams": [v for _, v in c.id_list(body, ("atlas",), "diagrams")],
        "diagram_paths": c.id_list(body, ("atlas",), "diagrams"),
    }
    if "diagrams" not in body:
        c.problem(("atlas", "diagrams"), "is missing; expected the list of diagram ids in app order")
    return manifest, languages


def _load_references(root: Path, languages: list[str], problems: list[Problem]) -> dict[str, Reference]:
    path = root / REFERENCES
    refs: dict[str, Reference] = {}
    if not path.exists():
        return refs
    src, probs = read_yaml(path, REFERENCES)
    problems.extend(probs)
    if src is None or not isinstance(src.data, dict):
        return refs
    c = Checker(src, languages, problems)
    for p, item in c.items(src.data, (), "references", required=True):
        rid = c.ident(item, p)
        citation = c.get(item, p, "citation", str, "the citation as text")
        url = c.get(item, p, "url", str, "a web address", required=False)
        if rid and citation:
            if rid in refs:
                c.problem((*p, "id"), f"duplicate reference id '{rid}'")
            refs[rid] = Reference(rid, citation.strip(), url)
    return refs


def _load_diagram(src: Source, languages: list[str], problems: list[Problem]) -> tuple[Diagram | None, dict]:
    """Parse one diagram file; also returns the paths of ids, for cross-file messages."""
    c = Checker(src, languages, problems)
    body = _root(src, "diagram", problems)
    where: dict[str, Any] = {"links": [], "refs": [], "edges": []}
    if body is None:
        return None, where
    p: PathKey = ("diagram",)
    did = c.ident(body, p)
    expected_id = Path(src.file).stem
    if did and did != expected_id:
        c.problem((*p, "id"), f"'{did}' must equal the file name '{expected_id}'")
    layout = c.get(body, p, "layout", str, f"one of {', '.join(LAYOUTS)}")
    if layout is not None and layout not in LAYOUTS:
        c.problem((*p, "layout"), f"'{layout}' is not a layout; expected one of {', '.join(LAYOUTS)}")
        layout = None
    columns = c.get(body, p, "columns", int, "a whole number of columns", required=False)
    diagram = Diagram(
        id=did or expected_id,
        layout=layout or "matrix",
        title=c.text(body, p, "title") or {},
        summary=c.text(body, p, "summary") or {},
        node_label=c.text(body, p, "node_label") or {},
        source=c.text(body, p, "source", required=False),
        columns=columns,
        file=src.file,
    )
    for sp, item in c.items(body, p, "sections"):
        sid = c.ident(item, sp)
        title = c.text(item, sp, "title")
        if sid and title:
            diagram.sections.append(Section(sid, title))
    seen: dict[str, PathKey] = {}
    for gp, item in c.items(body, p, "groups"):
        gid = c.ident(item, gp)
        color = c.get(item, gp, "color", str, "a colour like '#0072B2'")
        if color is not None and not COLOR_RE.match(color):
            c.problem((*gp, "color"), f"'{color}' is not a colour; expected '#' and six hex digits")
            color = None
        label = c.text(item, gp, "label")
        desc = c.text(item, gp, "description", required=False)
        if gid:
            if gid in seen:
                c.problem((*gp, "id"), f"duplicate group id '{gid}' (first at line {src.line(seen[gid])})")
            seen[gid] = (*gp, "id")
            diagram.groups.append(Group(gid, label or {}, color or "#777777", desc))
    section_ids = {s.id for s in diagram.sections}
    group_ids = {g.id for g in diagram.groups}
    for np_, item in c.items(body, p, "nodes", required=True):
        node = _load_node(c, np_, item, diagram, section_ids, group_ids, where)
        if node:
            diagram.nodes.append(node)
    if "nodes" in body and not diagram.nodes and not problems:
        c.problem((*p, "nodes"), "expected at least one node")
    for ep, item in c.items(body, p, "edges"):
        source = c.get(item, ep, "from", str, "the id of the edge's start node")
        target = c.get(item, ep, "to", str, "the id of the edge's end node")
        kind = c.get(item, ep, "kind", str, f"one of {', '.join(EDGE_KINDS)}", required=False) or "sequence"
        if kind not in EDGE_KINDS:
            c.problem((*ep, "kind"), f"'{kind}' is not an edge kind; expected one of {', '.join(EDGE_KINDS)}")
        label = c.text(item, ep, "label", required=False)
        if source and target:
            diagram.edges.append(Edge(source, target, kind, label))
            where["edges"].append((ep, source, target))
    return diagram, where


def _load_node(
    c: Checker,
    np_: PathKey,
    item: dict,
    diagram: Diagram,
    section_ids: set[str],
    group_ids: set[str],
    where: dict,
) -> Node | None:
    nid = c.ident(item, np_)
    group = c.get(item, np_, "group", str, "a group id", required=False)
    if group is not None and group not in group_ids:
        known = ", ".join(sorted(group_ids)) or "none declared"
        c.problem((*np_, "group"), f"unknown group '{group}' (groups: {known})")
    if group is None and diagram.layout == "matrix" and group_ids:
        c.problem((*np_, "group"), "is missing; every node of a grouped matrix needs a group")
    number = c.get(item, np_, "number", int, "a whole number", required=False)
    position = None
    raw_pos = item.get("position")
    if raw_pos is not None:
        if (
            isinstance(raw_pos, list)
            and len(raw_pos) == 2
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in raw_pos)
        ):
            position = (float(raw_pos[0]), float(raw_pos[1]))
        else:
            c.problem((*np_, "position"), "expected two numbers [x, y]")
    elif diagram.layout in ("flow", "cycle"):
        c.problem((*np_, "position"), f"is missing; a {diagram.layout} diagram needs [x, y] for every node")
    details: dict[str, list[Text]] = {}
    raw_details = c.get(
        item, np_, "details", dict, "a mapping of section id to a list of texts", required=bool(section_ids)
    )
    if raw_details is not None:
        dp = (*np_, "details")
        for key in raw_details:
            if key not in section_ids:
                known = ", ".join(sorted(section_ids)) or "none declared"
                c.problem((*dp, key), f"unknown section '{key}' (sections: {known})")
        for sid in sorted(section_ids):
            details[sid] = c.text_list(raw_details, dp, sid)
    for rp, ref in c.id_list(item, np_, "references"):
        where["refs"].append((rp, ref))
    links = []
    for lp, link in c.id_list(item, np_, "links"):
        where["links"].append((lp, nid, link))
        links.append(link)
    node = Node(
        id=nid or "",
        diagram=diagram.id,
        label=c.text(item, np_, "label") or {},
        summary=c.text(item, np_, "summary") or {},
        description=c.text(item, np_, "description") or {},
        short_label=c.text(item, np_, "short_label", required=False),
        group=group,
        number=number,
        position=position,
        details=details,
        references=[r for _, r in c.id_list(item, np_, "references")],
        links=links,
    )
    where.setdefault("ids", []).append(((*np_, "id"), nid))
    return node if nid else None


SurveyParser = Callable[[Source, list[str], Atlas, list[Problem]], Any]


def _default_survey_parser() -> SurveyParser | None:
    try:
        from components.survey import parse_survey
    except ImportError:  # the questionnaire module is optional for the diagrams
        return None
    return parse_survey


def load_atlas(root: Path | str, survey_parser: SurveyParser | None = None) -> LoadResult:
    """Read every artefact file under ``root``; the atlas is returned only when nothing is wrong."""
    root = Path(root)
    problems: list[Problem] = []
    if not root.is_dir():
        return LoadResult(None, [Problem(str(root), None, "", "is not a directory")])
    loaded = _load_manifest(root, problems)
    if loaded is None:
        return LoadResult(None, problems)
    manifest, languages = loaded
    msrc: Source = manifest["src"]
    references = _load_references(root, languages, problems)

    diagrams: dict[str, Diagram] = {}
    wheres: dict[str, tuple[Source, dict]] = {}
    diagram_dir = root / DIAGRAM_DIR
    files = sorted(diagram_dir.glob("*.yaml")) if diagram_dir.is_dir() else []
    for path in files:
        rel = f"{DIAGRAM_DIR}/{path.name}"
        src, probs = read_yaml(path, rel)
        problems.extend(probs)
        if src is None or src.data is None:
            continue
        diagram, where = _load_diagram(src, languages, problems)
        if diagram:
            diagrams[diagram.id] = diagram
            wheres[diagram.id] = (src, where)

    mc = Checker(msrc, languages, problems)
    ordered: dict[str, Diagram] = {}
    for path, did in manifest["diagram_paths"]:
        if did in diagrams:
            ordered[did] = diagrams[did]
        elif not (diagram_dir / f"{did}.yaml").exists():
            mc.problem(path, f"unknown diagram '{did}': there is no {DIAGRAM_DIR}/{did}.yaml")
    for did in diagrams:
        if did not in ordered:
            src, _ = wheres[did]
            problems.append(
                Problem(src.file, 1, "diagram.id", f"'{did}' is not listed in {MANIFEST} atlas.diagrams")
            )

    # Cross-file checks: unique node ids, edges, links, references.
    owner: dict[str, tuple[str, int | None]] = {}
    for src, where in wheres.values():
        c = Checker(src, languages, problems)
        for path, nid in where.get("ids", []):
            if nid is None:
                continue
            if nid in owner:
                first_file, first_line = owner[nid]
                c.problem(path, f"duplicate node id '{nid}' (already used at {first_file}:{first_line})")
            else:
                owner[nid] = (src.file, src.line(path))
    for did, (src, where) in wheres.items():
        c = Checker(src, languages, problems)
        local = {n.id for n in diagrams[did].nodes}
        for path, source, target in where["edges"]:
            for key, nid in (("from", source), ("to", target)):
                if nid not in local:
                    c.problem((*path, key), f"unknown node '{nid}' in this diagram")
        for path, nid, target in where["links"]:
            if target not in owner:
                c.problem(path, f"link to unknown node '{target}'")
            elif target == nid:
                c.problem(path, "a node cannot link to itself")
        for path, ref in where["refs"]:
            if ref not in references:
                c.problem(path, f"unknown reference '{ref}' (not in {REFERENCES})")

    atlas = Atlas(
        title=manifest["title"] or {},
        tagline=manifest["tagline"] or {},
        about=manifest["about"] or {},
        languages=languages,
        diagrams=ordered,
        references=references,
        content_version=content_version(root),
    )
    _link_both_ways(atlas)

    survey_path = root / SURVEY_FILE
    parser = survey_parser or _default_survey_parser()
    if survey_path.exists() and parser is not None:
        src, probs = read_yaml(survey_path, SURVEY_FILE)
        problems.extend(probs)
        if src is not None and src.data is not None:
            atlas.survey = parser(src, languages, atlas, problems)

    if problems:
        return LoadResult(None, _sorted(problems))
    return LoadResult(atlas, [])


def _link_both_ways(atlas: Atlas) -> None:
    nodes = atlas.nodes
    for node in nodes.values():
        node.related = [t for t in node.links if t in nodes]
    for node in nodes.values():
        for target in node.links:
            other = nodes.get(target)
            if other is not None and node.id not in other.related:
                other.related.append(node.id)


def _sorted(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.file, p.line or 0, p.field))
