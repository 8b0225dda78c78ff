"""CCHC is a report kind like any other: its folder loads as a bundle, and what it loads is the
packaged default the bot and the CLI have always used."""

from __future__ import annotations

from pathlib import Path

import report_kinds
from definitions.calendar import load_calendar
from definitions.forms import load_form
from report_templates.compiled import KindNames
from report_templates.compose import CCHC_SUBJECT, DEFAULT_SYMBOL, compose, default_templates
from report_templates.docx_writer import load_layout
from report_templates.draft import load_bundle, read_answers_file


def test_the_packaged_kinds_are_cchc_and_tthc() -> None:
    assert list(report_kinds.packaged()) == ["cchc", "tthc"]
    assert report_kinds.packaged_folder() == report_kinds.FOLDER / "cchc"


SAMPLE = (
    Path(__file__).resolve().parents[2] / "bot" / "demo_data" / "answers_tan_quang_2024_h1.json"
)


def test_the_cchc_bundle_is_the_packaged_default() -> None:
    bundle = load_bundle(report_kinds.packaged_folder("cchc"))
    report = read_answers_file(SAMPLE, bundle.form)

    assert (bundle.code, bundle.short_name, bundle.file_prefix) == ("cchc", "CCHC", "BC-CCHC")
    assert bundle.form == load_form()
    assert bundle.calendar == load_calendar()
    assert bundle.layout == load_layout()
    assert compose(report, templates=bundle.templates) == compose(
        report, templates=default_templates()
    )


def test_code_that_renders_without_a_bundle_takes_the_cchc_kinds_names() -> None:
    """The defaults for a report drafted without a loaded kind (the tests, `baocao draft` with
    no --kind) are read from cchc/kind.yaml, not written again in code."""
    bundle = load_bundle(report_kinds.packaged_folder("cchc"))

    assert KindNames() == bundle.names
    assert (bundle.name, bundle.symbol) == (CCHC_SUBJECT, DEFAULT_SYMBOL)
