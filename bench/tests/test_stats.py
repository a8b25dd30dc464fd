from bench import stats


def test_percentile_interpolates_like_numpy():
    values = [5, 1, 4, 2, 3]
    assert stats.percentile(values, 0) == 1
    assert stats.percentile(values, 50) == 3
    assert stats.percentile(values, 100) == 5
    assert stats.percentile(values, 90) == 4.6
    assert stats.percentile([], 50) is None


def test_median_of_medians_ignores_a_slow_round():
    rounds = [[1.0, 1.1, 1.2], [1.0, 1.2, 1.3], [9.0, 9.5, 9.9]]
    assert stats.median_of_medians(rounds) == 1.2


def test_summary():
    assert stats.summary([2.0, 4.0]) == {"n": 2, "p50": 3.0, "p99": 3.98, "mean": 3.0, "max": 4.0}
    assert stats.summary([])["p50"] is None
