"""Time rendering one commune's report: compose from answers, then write the Decree 30 .docx.

Run from the repository root: `.venv/bin/python bench/render.py [N]` (N renders after 3 warm-ups,
default 50). Templates and layout are loaded once, as the bot does at start. The last line printed
is a JSON object: {"bench": "render", "median_ms": ..., "p95_ms": ...}.
"""

from __future__ import annotations

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

from conversations.forms import load_form  # noqa: E402
from report_templates.compose import compose, load_templates  # noqa: E402
from report_templates.docx_writer import load_layout, write_docx  # noqa: E402
from report_templates.draft import read_answers_file  # noqa: E402

WARM_UPS = 3
SAMPLE = "answers_tan_quang_2024_h1.json"


def main(runs: int = 50) -> dict[str, object]:
    with resources.as_file(resources.files("bot") / "demo_data" / SAMPLE) as answers:
        report = read_answers_file(answers, load_form())
    templates, layout = load_templates(), load_layout()
    timings: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench_render_") as folder:
        for index in range(WARM_UPS + runs):
            started = time.perf_counter()
            document = compose(report, templates=templates)
            write_docx(document, Path(folder) / f"report_{index}.docx", layout=layout)
            elapsed_ms = (time.perf_counter() - started) * 1000
            if index >= WARM_UPS:
                timings.append(elapsed_ms)
    timings.sort()
    p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
    result: dict[str, object] = {
        "bench": "render",
        "median_ms": round(statistics.median(timings), 2),
        "p95_ms": round(p95, 2),
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
