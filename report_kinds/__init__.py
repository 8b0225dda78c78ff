"""The report kinds shipped with Baocao, one folder each (`cchc/`, `tthc/`): a kind's
`kind.yaml` names it and lists its form, calendar, template, annex and layout, all in the folder.

Data only: nothing here imports the project, so the conversations and the report templates can
read their packaged defaults from here (report_templates.draft.load_bundle loads a folder).
"""

from __future__ import annotations

import functools
from pathlib import Path

import yaml

FOLDER = Path(__file__).resolve().parent
DEFAULT_KIND = "cchc"


def packaged() -> dict[str, Path]:
    """Each shipped kind's folder by its code (the folder's name)."""
    return {
        path.name: path
        for path in sorted(FOLDER.iterdir())
        if path.is_dir() and (path / "kind.yaml").is_file()
    }


def packaged_folder(code: str = DEFAULT_KIND) -> Path:
    return FOLDER / code


@functools.cache
def packaged_words(code: str = DEFAULT_KIND) -> dict[str, str]:
    """A shipped kind's names as its kind.yaml gives them (name, short_name, symbol,
    file_prefix, receiver): the defaults of code that renders without a loaded bundle, so no
    module repeats them. report_templates.draft.load_bundle checks the file."""
    data = yaml.safe_load((packaged_folder(code) / "kind.yaml").read_text(encoding="utf-8"))
    return {key: value for key, value in data.items() if isinstance(value, str)}
