"""The drift checks: which statistic, which threshold, which verdict.

Every check compares one statistic with a threshold made of two parts, and the
threshold is the larger of them:

- a minimum effect: the smallest shift worth acting on (e.g. PSI 0.2);
- a noise floor: the value that sampling noise alone reaches only once in
  1 / ALPHA times when production really follows the reference. With few
  production records noise is large, so the threshold rises instead of raising
  false alarms; with many, the minimum effect decides.

A check has drifted when its statistic is above its threshold.
"""

from dataclasses import dataclass, field

import numpy as np

from . import stats
from .records import ProductionLog, Reference

# Chance that a single check flags drift on undrifted traffic (when the noise
# floor sets its threshold). Two checks run per input feature plus about four on
# the predictions, so with up to ~20 features the whole report raises a false
# alarm well under 20% of the time, and under 10% with a handful of features.
ALPHA = 0.005
# Bootstrap draws behind each noise floor, from a fixed seed: the same inputs
# always give the same verdict.
RESAMPLES = 1000
SEED = 20240901
# Noise shrinks with the sample size, so beyond this many production records
# the noise floor of this many is used: a slight overestimate, bounded memory.
MAX_NOISE_SAMPLE = 5000

# KS D is the largest gap between the two cumulative distributions: 0.1 means
# some value splits the data 10 percentage points differently, which is visible
# on a histogram.
KS_MIN_EFFECT = 0.1
# The usual PSI reading: < 0.1 stable, 0.1-0.2 moderate shift, > 0.2 significant
# shift that warrants a look (and usually retraining).
PSI_MIN_EFFECT = 0.2
# Total variation: the share of predictions that would have to change class to
# turn one class distribution into the other. 15% is a visible change of mix.
TOTAL_VARIATION_MIN_EFFECT = 0.15
# A median top-1 probability 10 points lower means the model is clearly less
# sure of itself than on its training data, even if the inputs look the same.
CONFIDENCE_DROP_MIN_EFFECT = 0.1

# The subject of the checks on the model's outputs (class mix or values).
PREDICTIONS = "predictions"


@dataclass(frozen=True)
class Check:
    subject: str
    statistic: str
    value: float
    threshold: float
    details: dict[str, float | str] = field(default_factory=dict)

    @property
    def drifted(self) -> bool:
        return self.value > self.threshold

    def to_dict(self) -> dict[str, object]:
        return {
            "subject": self.subject,
            "statistic": self.statistic,
            "value": round(self.value, 6),
            "threshold": round(self.threshold, 6),
            "drifted": self.drifted,
            "details": self.details,
        }


def psi_bins(production_count: int) -> int:
    """Deciles when there is data for them; fewer bins for small samples.

    About 20 production records per bin keeps most bins from being empty,
    where the epsilon term would dominate PSI.
    """
    return int(min(10, max(2, production_count // 20)))


def ks_threshold(reference_count: int, production_count: int) -> float:
    noise = stats.ks_critical_value(reference_count, production_count, ALPHA)
    return max(KS_MIN_EFFECT, noise)


def _summary(values: np.ndarray, prefix: str) -> dict[str, float | str]:
    return {
        f"{prefix}_mean": round(float(np.mean(values)), 6),
        f"{prefix}_median": round(float(np.median(values)), 6),
    }


def feature_checks(
    name: str, reference: np.ndarray, production: np.ndarray, rng: np.random.Generator
) -> list[Check]:
    """KS and PSI of one numeric distribution: an input feature or predicted values."""
    details = _summary(reference, "reference") | _summary(production, "production")
    bins = psi_bins(production.size)
    psi_noise = stats.feature_psi_noise(
        reference,
        min(production.size, MAX_NOISE_SAMPLE),
        bins,
        quantile=1 - ALPHA,
        resamples=RESAMPLES,
        rng=rng,
    )
    return [
        Check(
            name,
            "ks",
            stats.ks_statistic(reference, production),
            ks_threshold(reference.size, production.size),
            details,
        ),
        Check(
            name,
            "psi",
            stats.feature_psi(reference, production, bins),
            max(PSI_MIN_EFFECT, psi_noise),
            {"bins": bins},
        ),
    ]


def prediction_checks(
    labels: tuple[str, ...],
    reference_shares: np.ndarray,
    production_shares: np.ndarray,
    production_count: int,
    rng: np.random.Generator,
) -> list[Check]:
    """How far the mix of predicted classes moved (total variation and PSI)."""
    tv_noise, psi_noise = stats.class_shift_noise(
        reference_shares,
        min(production_count, MAX_NOISE_SAMPLE),
        quantile=1 - ALPHA,
        resamples=RESAMPLES,
        rng=rng,
    )
    top = int(np.argmax(production_shares))
    details: dict[str, float | str] = {
        "production_top_class": labels[top],
        "production_top_share": round(float(production_shares[top]), 6),
        "reference_top_share": round(float(reference_shares.max()), 6),
    }
    return [
        Check(
            PREDICTIONS,
            "total_variation",
            stats.total_variation(reference_shares, production_shares),
            max(TOTAL_VARIATION_MIN_EFFECT, tv_noise),
            details,
        ),
        Check(
            PREDICTIONS,
            "psi",
            stats.psi(reference_shares, production_shares),
            max(PSI_MIN_EFFECT, psi_noise),
        ),
    ]


def confidence_checks(
    reference: np.ndarray, production: np.ndarray, rng: np.random.Generator
) -> list[Check]:
    """Did the model's top-1 probability change shape (KS) or fall (median drop)?"""
    details = _summary(reference, "reference") | _summary(production, "production")
    drop_noise = stats.median_drop_noise(
        reference,
        min(production.size, MAX_NOISE_SAMPLE),
        quantile=1 - ALPHA,
        resamples=RESAMPLES,
        rng=rng,
    )
    return [
        Check(
            "confidence",
            "ks",
            stats.ks_statistic(reference, production),
            ks_threshold(reference.size, production.size),
            details,
        ),
        Check(
            "confidence",
            "median_drop",
            float(np.median(reference) - np.median(production)),
            max(CONFIDENCE_DROP_MIN_EFFECT, drop_noise),
        ),
    ]


def run_checks(reference: Reference, production: ProductionLog) -> list[Check]:
    """Every check, in report order: input features, then the predictions.

    A classifier's predictions are checked for their mix of classes and their
    confidence; a regression model's for the distribution of predicted values,
    with the same statistics as an input feature.
    """
    rng = np.random.default_rng(SEED)
    checks: list[Check] = []
    for name in reference.features:
        checks += feature_checks(
            name, reference.features[name], production.feature_array(name), rng
        )
    if not reference.classification:
        values = np.asarray(production.values, dtype=float)
        return checks + feature_checks(PREDICTIONS, reference.values, values, rng)
    checks += prediction_checks(
        reference.labels,
        reference.prediction_shares,
        production.prediction_shares(),
        production.count,
        rng,
    )
    checks += confidence_checks(
        reference.confidence, np.asarray(production.confidence, dtype=float), rng
    )
    return checks
