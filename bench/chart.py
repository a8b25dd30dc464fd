"""``results.png``: the four headline comparisons in one figure.

Imported only when matplotlib is installed (the bench virtualenv has it).
"""
import matplotlib

matplotlib.use("Agg")                      # files only, no display
import matplotlib.pyplot as plt  # noqa: E402

from bench.targets import TARGETS  # noqa: E402

COLORS = {"direct": "#9e9e9e", "switchyard": "#1565c0", "litellm": "#ef6c00",
          "portkey": "#6a1b9a"}


def _bars(ax, groups, values_by_target, ylabel, title):
    """Grouped bars: one group per x label, one bar per target."""
    targets = [t for t in TARGETS if t in values_by_target]
    width = 0.8 / max(1, len(targets))
    for i, target in enumerate(targets):
        xs = [g + i * width for g in range(len(groups))]
        ys = [v if v is not None else 0 for v in values_by_target[target]]
        ax.bar(xs, ys, width, label=target, color=COLORS[target])
    ax.set_xticks([g + width * (len(targets) - 1) / 2 for g in range(len(groups))], groups)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8)


def _sequential(ax, data):
    cases = list(data["cases"])
    values = {t: [data["cases"][c].get(t, {}).get("p50") for c in cases]
              for t in TARGETS if any(t in data["cases"][c] for c in cases)}
    _bars(ax, cases, values, "ms", "Sequential latency p50")
    ax.tick_params(axis="x", labelsize=7)


def _throughput(ax, data):
    levels = list(data["levels"])
    values = {t: [data["levels"][c].get(t, {}).get("rps") for c in levels]
              for t in TARGETS if any(t in data["levels"][c] for c in levels)}
    _bars(ax, [f"{c} clients" for c in levels], values, "requests / s",
          f"Throughput, upstream {data['upstream_latency_ms']} ms")


def _capacity(ax, data):
    levels = data.get("levels") or []
    ax.plot([lv["count"] for lv in levels],
            [(lv.get("rss_open_kib") or 0) / 1024 for lv in levels],
            marker="o", color=COLORS["switchyard"])
    ax.axhline(1024, linestyle="--", color="#c62828", label="1 GiB goal")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8)
    ax.set_xlabel("streams held open")
    ax.set_ylabel("worker RSS, MiB")
    ax.set_title("Concurrent streams, one worker")


def _soak(ax, data):
    points = data.get("rss") or []
    ax.plot([p["done"] for p in points], [p["rss_kib"] / 1024 for p in points],
            marker=".", color=COLORS["switchyard"])
    ax.set_xlabel("requests")
    ax.set_ylabel("RSS, MiB")
    ax.set_ylim(bottom=0)
    ax.set_title("Soak")


_PANELS = (("sequential", _sequential), ("throughput", _throughput),
           ("capacity", _capacity), ("soak", _soak))


def draw(results, path):
    fig, axes = plt.subplots(2, 2, figsize=(12, 8))
    for ax, (name, panel) in zip(axes.flat, _PANELS):
        data = results["scenarios"].get(name)
        if data and "failed" not in data and "skipped" not in data:
            panel(ax, data)
        else:
            ax.set_title(f"{name}: not measured")
            ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
