"""Time write_docx on the seed 000 report: 3 warm-ups, then N renders to a temporary directory.

Run from the repository root: `.venv/bin/python bench/render_docx.py [N]`. The last line printed is
a JSON object, {"bench": "render_docx", "median_ms": ..., "p95_ms": ...}.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from report_templates.docx_writer import load_layout, write_docx  # noqa: E402
from tests.report_templates import tan_quang_report  # noqa: E402

WARM_UPS = 3


def main(runs: int = 50) -> dict[str, object]:
    report = tan_quang_report()
    load_layout()  # read and cached once, as in the bot
    timings: list[float] = []
    with tempfile.TemporaryDirectory(prefix="render_docx_") as folder:
        for index in range(WARM_UPS + runs):
            path = Path(folder) / f"report_{index}.docx"
            started = time.perf_counter()
            write_docx(report, path)
            elapsed = (time.perf_counter() - started) * 1000
            if index >= WARM_UPS:
                timings.append(elapsed)
    timings.sort()
    p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
    result: dict[str, object] = {
        "bench": "render_docx",
        "median_ms": round(statistics.median(timings), 2),
        "p95_ms": round(p95, 2),
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
