"""Time rendering one commune's report: compose and write the .docx, then convert it to .pdf.

Run from the repository root: `.venv/bin/python bench/render.py [N] [--pdf-runs M] [--cold-runs K]`.

- .docx: N renders (default 50) after 3 warm-ups, composing from answers and writing the Decree 30
  file; templates and layout are loaded once, as the bot does at start. Target: median < 50 ms.
- .pdf, warm: M conversions (default 20) of such a .docx through the warm LibreOffice, after one
  that starts it (timed apart as `warm_start_ms`). Target: median < 1 s.
- .pdf, cold: K conversions (default 5) starting LibreOffice for each file, as without the warm
  office; `cold_warm_ratio` is the cold median over the warm one.

PDF figures are null where LibreOffice is not installed; the warm ones are cold conversions (and
`pdf_warm_path` says "cold") where no Python can import uno. The last line printed is a JSON
object: {"bench": "render", "median_ms": ..., "p95_ms": ..., "pdf_warm_median_ms": ..., ...};
`median_ms` and `p95_ms` are the .docx figures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from definitions.forms import load_form  # noqa: E402
from report_templates.compose import compose, load_templates  # noqa: E402
from report_templates.docx_writer import load_layout, write_docx  # noqa: E402
from report_templates.draft import read_answers_file  # noqa: E402
from report_templates.pdf import PdfConverter, office_program  # noqa: E402

WARM_UPS = 3
SAMPLE = "answers_tan_quang_2024_h1.json"
DOCX_TARGET_MS = 50
PDF_TARGET_MS = 1000


def _summary(timings: list[float]) -> tuple[float, float]:
    """The median and the 95th percentile, in ms, rounded."""
    ordered = sorted(timings)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return round(statistics.median(ordered), 2), round(p95, 2)


def _time_pdfs(converter: PdfConverter, docx: Path, runs: int) -> list[float]:
    timings = []
    for _ in range(runs):
        docx.with_suffix(".pdf").unlink(missing_ok=True)
        started = time.perf_counter()
        pdf = converter.convert(docx)
        timings.append((time.perf_counter() - started) * 1000)
        if pdf is None:
            raise SystemExit(f"LibreOffice did not convert {docx}")
    return timings


def main(runs: int = 50, pdf_runs: int = 20, cold_runs: int = 5) -> dict[str, object]:
    with resources.as_file(resources.files("bot") / "demo_data" / SAMPLE) as answers:
        report = read_answers_file(answers, load_form())
    templates, layout = load_templates(), load_layout()
    timings: list[float] = []
    result: dict[str, object] = {"bench": "render"}
    with tempfile.TemporaryDirectory(prefix="bench_render_") as folder:
        for index in range(WARM_UPS + runs):
            started = time.perf_counter()
            document = compose(report, templates=templates)
            write_docx(document, Path(folder) / f"report_{index}.docx", layout=layout)
            elapsed_ms = (time.perf_counter() - started) * 1000
            if index >= WARM_UPS:
                timings.append(elapsed_ms)
        result["median_ms"], result["p95_ms"] = _summary(timings)
        result["docx_target_ms"] = DOCX_TARGET_MS
        print(f".docx: median {result['median_ms']} ms, p95 {result['p95_ms']} ms ({runs} runs)")

        docx = Path(folder) / "report_0.docx"
        result.update(dict.fromkeys(("warm_start_ms", "pdf_warm_median_ms", "pdf_warm_p95_ms")))
        result.update(dict.fromkeys(("pdf_warm_path", "pdf_cold_median_ms", "cold_warm_ratio")))
        result["pdf_target_ms"] = PDF_TARGET_MS
        if office_program() is None:
            print(".pdf: LibreOffice (soffice) is not installed")
        else:
            warm = PdfConverter()
            try:
                result["warm_start_ms"] = round(_time_pdfs(warm, docx, 1)[0], 2)
                warm_timings = _time_pdfs(warm, docx, pdf_runs)
                result["pdf_warm_path"] = warm.last_path
            finally:
                warm.close()
            result["pdf_warm_median_ms"], result["pdf_warm_p95_ms"] = _summary(warm_timings)
            cold_timings = _time_pdfs(PdfConverter(warm=False), docx, cold_runs)
            result["pdf_cold_median_ms"], _ = _summary(cold_timings)
            ratio = statistics.median(cold_timings) / statistics.median(warm_timings)
            result["cold_warm_ratio"] = round(ratio, 1)
            print(
                f".pdf warm ({result['pdf_warm_path']}): median {result['pdf_warm_median_ms']} ms,"
                f" p95 {result['pdf_warm_p95_ms']} ms ({pdf_runs} runs; starting it took"
                f" {result['warm_start_ms']} ms)"
            )
            print(
                f".pdf cold: median {result['pdf_cold_median_ms']} ms ({cold_runs} runs);"
                f" cold/warm {result['cold_warm_ratio']}x"
            )
    docx_ok = float(result["median_ms"]) < DOCX_TARGET_MS  # type: ignore[arg-type]
    warm_median = result["pdf_warm_median_ms"]
    pdf_ok = warm_median is None or float(warm_median) < PDF_TARGET_MS  # type: ignore[arg-type]
    result["targets_met"] = docx_ok and pdf_ok
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("runs", nargs="?", type=int, default=50, help=".docx renders")
    parser.add_argument("--pdf-runs", type=int, default=20, help="warm .pdf conversions")
    parser.add_argument("--cold-runs", type=int, default=5, help="cold .pdf conversions")
    arguments = parser.parse_args()
    if min(arguments.runs, arguments.pdf_runs, arguments.cold_runs) < 1:
        parser.error("each number of runs must be at least 1")
    main(arguments.runs, arguments.pdf_runs, arguments.cold_runs)
