"""Order statistics for latency samples (milliseconds)."""


def percentile(values, q):
    """The ``q``-th percentile (0..100) by linear interpolation, like numpy's
    default; None for no samples."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values):
    return percentile(values, 50)


def summary(values):
    """p50 / p99 / mean / max of a sample, rounded to microseconds."""
    if not values:
        return {"n": 0, "p50": None, "p99": None, "mean": None, "max": None}
    return {"n": len(values), "p50": _ms(percentile(values, 50)),
            "p99": _ms(percentile(values, 99)), "mean": _ms(sum(values) / len(values)),
            "max": _ms(max(values))}


def median_of_medians(rounds):
    """Median over rounds of each round's median: robust to a round that a
    background hiccup slowed as a whole."""
    return median([median(r) for r in rounds if r])


def _ms(value):
    return round(value, 3)
