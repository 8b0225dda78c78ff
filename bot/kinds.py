"""The report kinds the settings name, loaded and checked: what the bot, the CLI and the demo
run."""

from __future__ import annotations

import dataclasses

import report_kinds
from bot.config import Settings
from definitions.calendar import CalendarError, load_calendar
from definitions.forms import FormError, load_form
from report_templates.compose import TemplateError
from report_templates.docx_writer import LayoutError
from report_templates.draft import BundleError, KindBundle, load_bundle, load_report_files
from report_templates.kinds import ReportKinds, kind_folder

# What loading a kind can raise; each names the file and line.
KIND_ERRORS = (BundleError, FormError, CalendarError, TemplateError, LayoutError)


def deployment_kinds(settings: Settings) -> ReportKinds:
    """BAOCAO_REPORT_KINDS loaded, CCHC with the files BAOCAO_FORM, BAOCAO_TEMPLATES_DIR and
    BAOCAO_CALENDAR name in place of its own. Raises one of KIND_ERRORS."""
    return ReportKinds(
        _with_overrides(load_bundle(kind_folder(entry)), settings)
        for entry in settings.report_kinds
    )


def _with_overrides(bundle: KindBundle, settings: Settings) -> KindBundle:
    """The CCHC kind with the province's single files, as they were set before report kinds
    were folders; every other kind is its folder alone."""
    if bundle.code != report_kinds.DEFAULT_KIND:
        return bundle
    changes: dict[str, object] = {}
    if settings.baocao_form is not None:
        changes["form"] = load_form(settings.baocao_form)
    if settings.baocao_templates_dir is not None:
        changes["templates"], changes["layout"] = load_report_files(settings.baocao_templates_dir)
    if settings.baocao_calendar is not None:
        changes["calendar"] = load_calendar(settings.baocao_calendar)
    return dataclasses.replace(bundle, **changes) if changes else bundle  # type: ignore[arg-type]
