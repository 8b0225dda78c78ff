"""The receiving office's progress as one picture: how many communes stand where, a bar each,
for a clerk to read at a glance in the chat (/tiendo sends it with the list).

Drawn with matplotlib's object API (no pyplot, no display) in the DejaVu Sans it ships, which
has every Vietnamese letter, so the picture looks the same on any machine.
"""

from __future__ import annotations

import enum
import io
import threading
from collections.abc import Mapping

# 1200 x 675 pixels: 16:9, sharp on a phone, small enough (tens of kB) to send at once.
WIDTH_IN, HEIGHT_IN, DPI = 8.0, 4.5, 150
SIZE_PX = (int(WIDTH_IN * DPI), int(HEIGHT_IN * DPI))


class Standing(enum.Enum):
    """Where a commune's report for the period stands, as the office sees it."""

    ON_TIME = "Đã báo cáo đúng hạn"
    LATE = "Đã báo cáo muộn"
    AWAITING_APPROVAL = "Chờ Chủ tịch duyệt"
    ANSWERING = "Đang nhập số liệu"
    NOBODY_REGISTERED = "Chưa có người đăng ký"
    NOT_OPENED = "Chưa mở kỳ báo cáo"  # drawn only when some commune is so


# Green done, amber late, blue and grey under way, red stuck: the colours offices use.
COLOURS = {
    Standing.ON_TIME: "#2e7d32",
    Standing.LATE: "#f9a825",
    Standing.AWAITING_APPROVAL: "#1565c0",
    Standing.ANSWERING: "#78909c",
    Standing.NOBODY_REGISTERED: "#c62828",
    Standing.NOT_OPENED: "#bdbdbd",
}
ALWAYS_DRAWN = tuple(s for s in Standing if s is not Standing.NOT_OPENED)

# matplotlib's font cache and text layout are not safe across threads; renders take turns.
_drawing = threading.Lock()


def progress_png(counts: Mapping[Standing, int], *, title: str, subtitle: str) -> bytes:
    """A PNG of SIZE_PX: one labelled bar per standing, with its number of communes and their
    share of all."""
    # Imported here: matplotlib takes most of a second to import, and only /tiendo needs it.
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    shown = [s for s in Standing if s in ALWAYS_DRAWN or counts.get(s, 0)]
    values = [counts.get(s, 0) for s in shown]
    total = sum(values)
    with _drawing:
        figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, layout="constrained")
        figure.suptitle(title, fontsize=13, fontweight="bold")
        axes = figure.add_subplot()
        axes.set_title(subtitle, fontsize=10.5, color="#424242")
        positions = range(len(shown))
        axes.barh(positions, values, color=[COLOURS[s] for s in shown], height=0.65)
        axes.set_yticks(positions, [s.value for s in shown], fontsize=11)
        axes.invert_yaxis()  # the first standing on top
        # The whole axis is every commune, so a bar's length is its share; room for the labels.
        axes.set_xlim(0, max(1, total) * 1.2)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_xlabel("Số đơn vị", fontsize=10)
        for position, value in zip(positions, values, strict=True):
            share = f" ({round(100 * value / total)}%)" if total and value else ""
            axes.annotate(
                f"{value}{share}",
                (value, position),
                xytext=(6, 0),
                textcoords="offset points",
                va="center",
                fontsize=12,
                fontweight="bold",
            )
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()
