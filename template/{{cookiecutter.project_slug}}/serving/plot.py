"""The serving benchmark's latency/throughput chart, drawn with Pillow.

One line per served option (variant, batching): each point is one concurrency
level, at its throughput (x) and p95 latency (y). Up and to the left is worse,
down and to the right is better. Pillow is already in the serving room, so the
chart needs no plotting library in the service's image.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw

WIDTH, HEIGHT = 900, 560
LEFT, RIGHT, TOP, BOTTOM = 80, 260, 40, 60
COLOURS = (
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
)
TICKS = 5


@dataclass(frozen=True)
class Series:
    name: str
    # (throughput req/s, p95 latency ms, clients) per concurrency level
    points: Sequence[tuple[float, float, int]]


def _ticks(top: float) -> list[float]:
    step = top / TICKS
    return [step * i for i in range(TICKS + 1)]


def latency_throughput_chart(series: Sequence[Series], title: str, path: Path) -> Path:
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    points = [point for line in series for point in line.points]
    x_top = max((p[0] for p in points), default=1.0) * 1.1 or 1.0
    y_top = max((p[1] for p in points), default=1.0) * 1.1 or 1.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def at(x: float, y: float) -> tuple[float, float]:
        return LEFT + x / x_top * plot_w, TOP + plot_h - y / y_top * plot_h

    draw.text((LEFT, 4), title, fill="black")
    draw.rectangle((LEFT, TOP, LEFT + plot_w, TOP + plot_h), outline="black")
    for value in _ticks(x_top):
        x, _ = at(value, 0)
        draw.line((x, TOP + plot_h, x, TOP + plot_h + 4), fill="black")
        draw.text((x - 12, TOP + plot_h + 8), f"{value:.0f}", fill="black")
    for value in _ticks(y_top):
        _, y = at(0, value)
        draw.line((LEFT - 4, y, LEFT, y), fill="black")
        draw.text((8, y - 6), f"{value:.0f}", fill="black")
    draw.text((LEFT + plot_w // 2 - 80, HEIGHT - 24), "throughput (req/s)", "black")
    draw.text((8, TOP - 18), "p95 latency (ms)", fill="black")

    for number, line in enumerate(series):
        colour = COLOURS[number % len(COLOURS)]
        by_clients = sorted(line.points, key=lambda point: point[2])
        xy = [at(x, y) for x, y, _ in by_clients]
        if len(xy) > 1:
            draw.line(xy, fill=colour, width=2)
        for (x, y), (_, _, clients) in zip(xy, by_clients, strict=True):
            draw.ellipse((x - 4, y - 4, x + 4, y + 4), fill=colour)
            draw.text((x + 6, y - 14), str(clients), fill=colour)
        legend_y = TOP + 10 + number * 20
        draw.rectangle(
            (WIDTH - RIGHT + 20, legend_y, WIDTH - RIGHT + 34, legend_y + 12),
            fill=colour,
        )
        draw.text((WIDTH - RIGHT + 40, legend_y), line.name, fill="black")
    draw.text(
        (WIDTH - RIGHT + 20, TOP + 20 + len(series) * 20),
        "labels: concurrent clients",
        fill="black",
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path
