"""The shape of a production-like day: when users come, what they send.

- Arrivals follow a daily rhythm: the requests in hour ``h`` are
  ``peak * (FLOOR + (1 - FLOOR) * (1 - cos(2π (h - QUIETEST_HOUR) / 24)) / 2)``,
  fewest at 4 am and most at 4 pm.
- The mix shifts over the day: each request draws an input from the pool with
  weights that tilt, as the day goes on, from even towards one end of it (the
  last classes in label order, or the rows with the largest true values), as
  when a new kind of user arrives or a season turns.
- The inputs are new to the model: the pool is made apart from the dataset,
  as fresh synthetic examples of the problem with a seed of their own (a new
  seed each day of nox -s operate), or from a folder of held-back data the team
  names (read like an ingest source, `problem.read_source`).
"""

import math
import random
from dataclasses import dataclass
from pathlib import Path

from {{ cookiecutter.package_name }} import problem
from {{ cookiecutter.package_name }}.problem import Example, ProblemDataError, Spec

HOURS_PER_DAY = 24
QUIETEST_HOUR = 4
FLOOR = 0.2  # the quietest hour's share of the busiest's traffic
POOL_SEED = 2027  # not the dataset's seed (42): inputs training never saw


def hourly_requests(peak: int, hours: int) -> list[int]:
    """Requests per hour over ``hours`` hours, following the daily rhythm."""
    counts = []
    for hour in range(hours):
        phase = 2 * math.pi * (hour - QUIETEST_HOUR) / HOURS_PER_DAY
        rate = FLOOR + (1 - FLOOR) * (1 - math.cos(phase)) / 2
        counts.append(max(1, round(peak * rate)))
    return counts


@dataclass(frozen=True)
class Pool:
    """The inputs users send, each with its true answer, and where each sits
    along the shift (-1 one end, +1 the other)."""

    spec: Spec
    examples: list[Example]
    positions: list[float]

    def draw(self, rng: random.Random, progress: float, tilt: float) -> Example:
        """One input, the mix shifted by ``tilt * progress`` (progress 0 to 1)."""
        weights = [math.exp(tilt * progress * p) for p in self.positions]
        return rng.choices(self.examples, weights=weights)[0]


def positions(spec: Spec, examples: list[Example]) -> list[float]:
    """Each example's place along the shift: its label's, or its value's rank."""
    if spec.classification:
        last = max(len(spec.labels) - 1, 1)
        return [2 * spec.labels.index(str(e.target)) / last - 1 for e in examples]
    order = sorted(range(len(examples)), key=lambda i: float(examples[i].target))
    ranks = [0.0] * len(examples)
    for rank, index in enumerate(order):
        ranks[index] = 2 * rank / max(len(examples) - 1, 1) - 1
    return ranks


def make_pool(source: str, count: int, seed: int = POOL_SEED) -> Pool:
    """``source`` "synthetic" (``count`` fresh examples per class, or rows, made
    with ``seed``), or the path of held-back data."""
    if source == "synthetic":
        found = problem.synthetic_source(count, seed)
    else:
        found = problem.read_source(Path(source))
    if not found.examples:
        raise ProblemDataError(f"no usable examples in the traffic pool {source}")
    return Pool(found.spec, found.examples, positions(found.spec, found.examples))
