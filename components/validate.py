"""Command line check of an artefact directory: ``python -m components.validate [DIR]``.

Prints every problem as ``file:line: field: message`` and exits 1, so CI and authors see all of
them at once.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from components.loader import load_atlas


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Validate MLOps Atlas artefact YAML files.")
    parser.add_argument("directory", nargs="?", default="artefacts", help="artefact directory")
    args = parser.parse_args(argv)
    result = load_atlas(Path(args.directory))
    if result.problems:
        print(f"{len(result.problems)} problem(s) in {args.directory}:", file=sys.stderr)
        for problem in result.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    atlas = result.atlas
    assert atlas is not None
    nodes = sum(len(d.nodes) for d in atlas.diagrams.values())
    survey = " and the questionnaire" if atlas.survey is not None else ""
    print(
        f"OK: {len(atlas.diagrams)} diagrams, {nodes} nodes{survey}; content version {atlas.content_version}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
