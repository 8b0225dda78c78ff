"""The report kinds a deployment runs: each kind's bundle by its code, in the order the settings
list them. Every part that depends on a round's kind (its form, template, layout, calendar,
file names and words) looks the round's kind up here."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import report_kinds
from definitions.forms import Form
from report_templates.draft import BundleError, KindBundle, load_bundle


class ReportKinds(Mapping[str, KindBundle]):
    """Bundles by code; iteration follows the settings' order."""

    def __init__(self, bundles: Iterable[KindBundle]) -> None:
        self._bundles: dict[str, KindBundle] = {}
        for bundle in bundles:
            if bundle.code in self._bundles:
                raise BundleError(
                    f"{bundle.folder / 'kind.yaml'}:1: code {bundle.code!r} is already used by "
                    f"{self._bundles[bundle.code].folder}"
                )
            self._bundles[bundle.code] = bundle
        # A commune gives sections to people by code (people.csv), whatever the kind.
        seen: dict[str, str] = {}
        for bundle in self._bundles.values():
            for section in bundle.form.sections:
                if section.code in seen:
                    raise BundleError(
                        f"{bundle.folder / 'kind.yaml'}:1: section {section.code!r} is also a "
                        f"section of {seen[section.code]}; each kind's sections need codes of "
                        "their own"
                    )
                seen[section.code] = bundle.code
        if not self._bundles:
            raise BundleError("no report kind is configured")

    def __getitem__(self, code: str) -> KindBundle:
        return self._bundles[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self._bundles)

    def __len__(self) -> int:
        return len(self._bundles)

    @property
    def default(self) -> KindBundle:
        """The kind a command means when none is named: CCHC when it runs, else the first."""
        return self._bundles.get(report_kinds.DEFAULT_KIND) or next(iter(self._bundles.values()))

    @property
    def forms(self) -> dict[str, Form]:
        return {code: bundle.form for code, bundle in self._bundles.items()}

    @property
    def short_names(self) -> dict[str, str]:
        """What people call each kind when they choose: "CCHC", "TTHC"."""
        return {code: bundle.short_name for code, bundle in self._bundles.items()}

    def short_name(self, code: str) -> str:
        """A kind's short name; a round of a kind no longer loaded is named by its code."""
        bundle = self._bundles.get(code)
        return bundle.short_name if bundle is not None else code.upper()


def packaged_kinds(*codes: str) -> ReportKinds:
    """Shipped kinds by code (all of them without codes), as the tests and the demo use them."""
    shipped = report_kinds.packaged()
    return ReportKinds(load_bundle(shipped[code]) for code in codes or tuple(shipped))


def kind_folder(where: str | Path) -> Path:
    """A shipped kind's folder by its code ("tthc"), else `where` as a folder. BundleError
    when it holds no kind.yaml."""
    folder = report_kinds.packaged().get(str(where)) or Path(where)
    if not (folder / "kind.yaml").is_file():
        known = ", ".join(report_kinds.packaged())
        raise BundleError(f"{where}: not a report kind's folder or code (shipped: {known})")
    return folder
