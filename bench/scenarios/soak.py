"""5. Soak: many requests through one fresh worker, RSS sampled every tenth
of the way.  Flat RSS after the first tenth (imports, caches, pools warmed)
means nothing grows per request.

The mix cycles whole and streamed answers over every pass-through dialect
and one translated path, so no code path hides from the soak.
"""
MIX = (("openai", "openai", False), ("openai", "openai", True),
       ("responses", "responses", False), ("claude", "claude", True),
       ("gemini", "gemini", False), ("claude", "openai", True))


def run(ctx):
    if "switchyard" not in ctx.proxies:
        return {"skipped": "Switchyard is not running"}
    s = ctx.scale
    server = ctx.restart("switchyard")
    ctx.set_mock()
    samples = [{"done": 0, "rss_kib": server.rss_kib()}]

    def on_event(event):
        if event["event"] == "progress":
            samples.append({"done": event["done"], "rss_kib": server.rss_kib()})

    job = {"kind": "closed", "concurrency": s.soak_clients, "total": s.soak_requests,
           "progress_every": max(1, s.soak_requests // 10), "max_seconds": 3600,
           "specs": [ctx.spec("switchyard", c, u, st) for c, u, st in MIX]}
    result = ctx.loadgen(job, timeout=3700, on_event=on_event)
    samples.append({"done": result["requests"], "rss_kib": server.rss_kib()})
    warmed = samples[1]["rss_kib"] if len(samples) > 2 else samples[0]["rss_kib"]
    result.update(rss=samples, rss_growth_kib=samples[-1]["rss_kib"] - warmed,
                  mix=[f"{c}->{u}{' stream' if st else ''}" for c, u, st in MIX])
    return result
