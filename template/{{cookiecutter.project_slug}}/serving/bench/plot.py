"""The serving benchmark's latency/throughput chart, written as an SVG file.

One line per served option (variant, batching, layout): each point is one
concurrency level, at its throughput (x) and p95 latency (y). Up and to the
left is worse, down and to the right is better. SVG is plain text, so the
chart needs no plotting or imaging library in the service's environment, and
a browser, GitHub's Markdown view included, shows it as it is.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path

WIDTH, HEIGHT = 900, 560
LEFT, RIGHT, TOP, BOTTOM = 80, 260, 40, 60
PLOT_WIDTH, PLOT_HEIGHT = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
COLOURS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
)
TICKS = 5


@dataclass(frozen=True)
class Series:
    name: str
    # (throughput req/s, p95 latency ms, clients) per concurrency level
    points: Sequence[tuple[float, float, int]]


@dataclass(frozen=True)
class Axes:
    """Data -> drawing coordinates: 0 at the plot's lower left, ``x_top``/``y_top``
    at its right and upper edges."""

    x_top: float
    y_top: float

    @classmethod
    def fitting(cls, series: Sequence[Series]) -> "Axes":
        """Axes 10 % beyond the largest point (1 when there is none)."""
        points = [point for line in series for point in line.points]
        x_top = max((p[0] for p in points), default=0.0) * 1.1
        y_top = max((p[1] for p in points), default=0.0) * 1.1
        return cls(x_top or 1.0, y_top or 1.0)

    def at(self, x: float, y: float) -> tuple[float, float]:
        return (
            round(LEFT + x / self.x_top * PLOT_WIDTH, 1),
            round(TOP + PLOT_HEIGHT - y / self.y_top * PLOT_HEIGHT, 1),
        )


def text(
    x: float, y: float, words: str, colour: str = "black", anchor: str = "start"
) -> str:
    """``words`` at (x, y); ``anchor`` says which end of them (x) is at."""
    place = f'x="{x}" y="{y}" fill="{colour}" text-anchor="{anchor}"'
    return f"<text {place}>{escape(words)}</text>"


def frame(axes: Axes) -> list[str]:
    """The plot's box, both axes' ticks and numbers, and the axis titles."""
    bottom = TOP + PLOT_HEIGHT
    parts = [
        f'<rect x="{LEFT}" y="{TOP}" width="{PLOT_WIDTH}" height="{PLOT_HEIGHT}" '
        'fill="none" stroke="black"/>'
    ]
    for step in range(TICKS + 1):
        x_value, y_value = axes.x_top * step / TICKS, axes.y_top * step / TICKS
        x, _ = axes.at(x_value, 0)
        _, y = axes.at(0, y_value)
        parts += [
            f'<line x1="{x}" y1="{bottom}" x2="{x}" y2="{bottom + 4}" stroke="black"/>',
            text(x, bottom + 18, f"{x_value:.0f}", anchor="middle"),
            f'<line x1="{LEFT - 4}" y1="{y}" x2="{LEFT}" y2="{y}" stroke="black"/>',
            text(LEFT - 8, y + 4, f"{y_value:.0f}", anchor="end"),
        ]
    middle = LEFT + PLOT_WIDTH / 2
    parts += [
        text(middle, HEIGHT - 16, "throughput (req/s)", anchor="middle"),
        text(8, TOP - 8, "p95 latency (ms)"),
    ]
    return parts


def line_of(series: Series, colour: str, axes: Axes) -> list[str]:
    """One option's points in order of clients, joined, each labelled."""
    by_clients = sorted(series.points, key=lambda point: point[2])
    xy = [axes.at(x, y) for x, y, _ in by_clients]
    parts = []
    if len(xy) > 1:
        path = " ".join(f"{x},{y}" for x, y in xy)
        stroke = f'fill="none" stroke="{colour}" stroke-width="2"'
        parts.append(f'<polyline points="{path}" {stroke}/>')
    for (x, y), (_, _, clients) in zip(xy, by_clients, strict=True):
        parts += [
            f'<circle cx="{x}" cy="{y}" r="4" fill="{colour}"/>',
            text(x + 6, y - 6, str(clients), colour),
        ]
    return parts


def legend(series: Sequence[Series]) -> list[str]:
    left = WIDTH - RIGHT + 20
    parts = []
    for number, line in enumerate(series):
        top = TOP + 10 + number * 20
        colour = COLOURS[number % len(COLOURS)]
        parts += [
            f'<rect x="{left}" y="{top}" width="14" height="12" fill="{colour}"/>',
            text(left + 20, top + 11, line.name),
        ]
    parts.append(text(left, TOP + 30 + len(series) * 20, "labels: concurrent clients"))
    return parts


def latency_throughput_chart(series: Sequence[Series], title: str, path: Path) -> Path:
    """Write the chart of ``series`` to ``path`` (an .svg file)."""
    axes = Axes.fitting(series)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        text(LEFT + PLOT_WIDTH / 2, 18, title, anchor="middle"),
        *frame(axes),
    ]
    for number, line in enumerate(series):
        parts += line_of(line, COLOURS[number % len(COLOURS)], axes)
    parts += [*legend(series), "</svg>"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")
    return path
