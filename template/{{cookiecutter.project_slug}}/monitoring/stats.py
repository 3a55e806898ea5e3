"""Distribution-shift statistics, in NumPy only.

Plain functions of arrays, so each one can be checked against numbers worked out
by hand (tests/test_monitoring_stats.py). The thresholds that turn these numbers
into verdicts live in `monitoring.checks`.
"""

import math

import numpy as np

# A bin or class with no values counts as holding this fraction, so PSI stays
# finite (log of 0 is undefined) while an empty bin still adds a large term.
PSI_EPSILON = 1e-4

# Bootstrap resamples drawn at a time: bounds memory for long prediction logs.
_CHUNK = 100


def ks_statistic(reference: np.ndarray, production: np.ndarray) -> float:
    """Two-sample Kolmogorov-Smirnov D: the largest gap between the two ECDFs."""
    first = np.sort(np.asarray(reference, dtype=float))
    second = np.sort(np.asarray(production, dtype=float))
    if first.size == 0 or second.size == 0:
        raise ValueError("the KS statistic needs at least one value in each sample")
    # The gap can only peak at an observed value, so evaluate both ECDFs there.
    points = np.concatenate([first, second])
    cdf_first = np.searchsorted(first, points, side="right") / first.size
    cdf_second = np.searchsorted(second, points, side="right") / second.size
    return float(np.max(np.abs(cdf_first - cdf_second)))


def ks_critical_value(n_reference: int, n_production: int, alpha: float) -> float:
    """D that two samples of one distribution exceed with probability ``alpha``.

    The asymptotic two-sample bound c(alpha) * sqrt((n + m) / (n * m)), with
    c(alpha) = sqrt(-ln(alpha / 2) / 2).
    """
    c_alpha = math.sqrt(-math.log(alpha / 2) / 2)
    return c_alpha * math.sqrt(
        (n_reference + n_production) / (n_reference * n_production)
    )


def quantile_edges(reference: np.ndarray, bins: int) -> np.ndarray:
    """Inner bin edges at the reference's quantiles: each bin holds ~1/bins of it.

    Repeated reference values can make quantiles coincide; duplicates are
    dropped, which leaves fewer, wider bins rather than empty ones.
    """
    if bins < 2:
        raise ValueError("PSI needs at least 2 bins")
    probabilities = np.linspace(0.0, 1.0, bins + 1)[1:-1]
    return np.unique(np.quantile(np.asarray(reference, dtype=float), probabilities))


def bin_counts(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts in the bins (-inf, e0], (e0, e1], ..., (e_last, inf), along the last axis.

    ``values`` may be 2-D (one row per resample); the result then has one row of
    counts per row of values.
    """
    values = np.asarray(values, dtype=float)
    bins = edges.size + 1
    indexes = np.searchsorted(edges, values, side="left")
    if indexes.ndim == 1:
        return np.bincount(indexes, minlength=bins)
    rows = indexes.shape[0]
    offsets = (np.arange(rows) * bins)[:, None]
    flat = np.bincount((indexes + offsets).ravel(), minlength=rows * bins)
    return flat.reshape(rows, bins)


def _psi(
    reference_fractions: np.ndarray, production_fractions: np.ndarray
) -> np.ndarray:
    expected = np.clip(reference_fractions, PSI_EPSILON, None)
    actual = np.clip(production_fractions, PSI_EPSILON, None)
    return np.sum((actual - expected) * np.log(actual / expected), axis=-1)


def psi(reference_fractions: np.ndarray, production_fractions: np.ndarray) -> float:
    """Population stability index: sum of (p - q) * ln(p / q) over bins or classes.

    ``q`` is the reference share and ``p`` the production share of each bin;
    shares below `PSI_EPSILON` count as `PSI_EPSILON`.
    """
    reference_fractions = np.asarray(reference_fractions, dtype=float)
    production_fractions = np.asarray(production_fractions, dtype=float)
    if reference_fractions.shape != production_fractions.shape:
        raise ValueError("PSI needs the same bins on both sides")
    return float(_psi(reference_fractions, production_fractions))


def feature_psi(reference: np.ndarray, production: np.ndarray, bins: int) -> float:
    """PSI of a numeric feature over bins cut at the reference's quantiles."""
    edges = quantile_edges(reference, bins)
    reference_counts = bin_counts(reference, edges)
    production_counts = bin_counts(production, edges)
    return psi(
        reference_counts / reference_counts.sum(),
        production_counts / production_counts.sum(),
    )


def total_variation(first: np.ndarray, second: np.ndarray) -> float:
    """Total variation distance: the share of probability mass that moved (0..1)."""
    return float(0.5 * np.abs(np.asarray(first) - np.asarray(second)).sum())


def feature_psi_noise(
    reference: np.ndarray,
    size: int,
    bins: int,
    *,
    quantile: float,
    resamples: int,
    rng: np.random.Generator,
) -> float:
    """The PSI that ``size`` values drawn from the reference itself reach.

    Returns the ``quantile`` of the PSI over ``resamples`` bootstrap samples:
    what pure sampling noise looks like at this production sample size.
    """
    reference = np.asarray(reference, dtype=float)
    edges = quantile_edges(reference, bins)
    reference_counts = bin_counts(reference, edges)
    expected = reference_counts / reference_counts.sum()
    values = []
    for start in range(0, resamples, _CHUNK):
        rows = min(_CHUNK, resamples - start)
        draws = rng.choice(reference, size=(rows, size), replace=True)
        values.append(_psi(expected, bin_counts(draws, edges) / size))
    return float(np.quantile(np.concatenate(values), quantile))


def class_shift_noise(
    reference_fractions: np.ndarray,
    size: int,
    *,
    quantile: float,
    resamples: int,
    rng: np.random.Generator,
) -> tuple[float, float]:
    """(total variation, PSI) that ``size`` predictions from the reference reach.

    Draws class counts from the reference's class shares (multinomial) and
    returns the ``quantile`` of each statistic over ``resamples`` draws.
    """
    expected = np.asarray(reference_fractions, dtype=float)
    shares = rng.multinomial(size, expected, size=resamples) / size
    distances = 0.5 * np.abs(shares - expected).sum(axis=1)
    return (
        float(np.quantile(distances, quantile)),
        float(np.quantile(_psi(expected, shares), quantile)),
    )


def median_drop_noise(
    reference: np.ndarray,
    size: int,
    *,
    quantile: float,
    resamples: int,
    rng: np.random.Generator,
) -> float:
    """How far the median of ``size`` reference values falls below the reference's."""
    reference = np.asarray(reference, dtype=float)
    center = np.median(reference)
    drops = []
    for start in range(0, resamples, _CHUNK):
        rows = min(_CHUNK, resamples - start)
        draws = rng.choice(reference, size=(rows, size), replace=True)
        drops.append(center - np.median(draws, axis=1))
    return float(np.quantile(np.concatenate(drops), quantile))
