"""The server-side SVG usage chart: the bars say the report's numbers."""
import xml.etree.ElementTree as ET

from proxy.dashboard import chart

NS = {"s": "http://www.w3.org/2000/svg"}
T0 = 1_735_689_600


def row(ts, key, tokens_in, tokens_out=0, label=None, requests=1):
    return {"ts": ts, "key": key, "label": label or key, "requests": requests, "errors": 0,
            "input_tokens": tokens_in, "output_tokens": tokens_out, "cached_tokens": 0,
            "cache_creation_tokens": 0, "reasoning_tokens": 0}


def report(series, bucket="hour", since=0.0, until=None):
    return {"bucket": bucket, "group_by": "model", "from": since,
            "to": until if until is not None else series[-1]["ts"] + 1, "series": series}


def bars(svg):
    root = ET.fromstring(svg)
    return {(int(g.get("data-ts")), r.get("data-group")): int(r.get("data-value"))
            for g in root.findall("s:g[@class='bucket']", NS) for r in g.findall("s:rect", NS)}


def test_stacks_each_group_per_bucket_with_empty_buckets_between():
    svg = chart.render(report([row(T0, "m1", 5, 5), row(T0, "m2", 1),
                               row(T0 + 7200, "m1", 3)]))
    assert bars(svg) == {(T0, "m1"): 10, (T0, "m2"): 1, (T0 + 7200, "m1"): 3}
    buckets = ET.fromstring(svg).findall("s:g[@class='bucket']", NS)
    assert [int(g.get("data-ts")) for g in buckets] == [T0, T0 + 3600, T0 + 7200]
    assert [int(g.get("data-total")) for g in buckets] == [11, 0, 3]


def test_bar_heights_are_proportional():
    svg = chart.render(report([row(T0, "m1", 40), row(T0 + 3600, "m1", 10)]), "input_tokens")
    heights = [float(r.get("height")) for r in ET.fromstring(svg).iter("{%s}rect" % NS["s"])
               if r.get("class") == "bar"]
    assert heights[0] == 4 * heights[1]


def test_labels_are_escaped():
    svg = chart.render(report([row(T0, "x", 1, label='<script>alert("x")</script>&')]))
    assert "<script>" not in svg
    assert ('<script>alert("x")</script>&', 1) in [(g, v) for (_, g), v in bars(svg).items()]


def test_small_groups_are_summed_as_other():
    series = [row(T0, f"m{i}", 100 - i) for i in range(chart.MAX_GROUPS + 2)]
    found = bars(chart.render(report(series)))
    assert len(found) == chart.MAX_GROUPS + 1
    assert found[(T0, "other")] == (100 - 6) + (100 - 7)


def test_range_includes_empty_days_and_no_data_says_so():
    svg = chart.render(report([row(T0 + 86400, "m1", 2)], bucket="day", since=T0,
                              until=T0 + 3 * 86400))
    days = [int(g.get("data-ts")) for g in ET.fromstring(svg).findall("s:g[@class='bucket']", NS)]
    assert days == [T0, T0 + 86400, T0 + 2 * 86400]
    empty = chart.render({"bucket": "day", "group_by": "model", "from": 0, "to": 1, "series": []})
    assert "No usage in this range" in empty


def test_requests_metric_and_axis_ceiling():
    svg = chart.render(report([row(T0, "m1", 0, requests=7)]), "requests")
    labels = [t.text for t in ET.fromstring(svg).iter("{%s}text" % NS["s"])
              if t.get("class") == "y-label"]
    assert labels[-1] == "10" and bars(svg) == {(T0, "m1"): 7}


def test_groups_without_any_value_stay_out_of_the_legend():
    svg = chart.render(report([row(T0, "used", 4), row(T0, "failed-only", 0)]))
    legend = [t.text for t in ET.fromstring(svg).iter("{%s}text" % NS["s"])
              if t.get("class") == "legend"]
    assert legend == ["used"]
