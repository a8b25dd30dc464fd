"""How big each scenario runs: ``QUICK`` (a smoke test, well under a
minute) and ``FULL`` (the published numbers)."""
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Scale:
    name: str
    # 1. sequential added latency
    seq_warmup: int
    seq_rounds: int
    seq_per_round: int
    # 2. throughput
    tp_clients: tuple
    tp_latency_ms: float
    tp_warmup_s: float
    tp_duration_s: float
    # 3. streaming
    st_tokens: int
    st_chunk_delay_ms: float
    st_warmup: int
    st_streams: int
    st_ttft_warmup: int
    st_ttft_streams: int
    # 4. capacity
    cap_levels: tuple
    # 5. soak
    soak_requests: int
    soak_clients: int
    # 6. agent-sized requests and answers
    agent_warmup: int
    agent_rounds: int
    agent_per_round: int
    # 7. fast token streams
    fs_tokens: int
    fs_single_rounds: int        # one stream at a time, this many times
    fs_concurrency: int
    fs_concurrent_rounds: int
    fs_peer_budget_s: float      # a slower peer skips the concurrent phase
    tokens: int = 16             # tokens per non-streamed answer
    agent_sizes: tuple = (50_000, 250_000, 1_000_000)   # request bytes
    answer_bytes: int = 100_000  # the whole-answer direction
    # 2. throughput, too: the worker's instructions per small request at the
    # most clients (callgrind, bench.worker_instructions: the figure a host's
    # speed does not move), from these two request counts; () skips it
    tp_instructions: tuple = ()


QUICK = Scale(
    name="quick",
    seq_warmup=5, seq_rounds=3, seq_per_round=10,
    tp_clients=(50, 200), tp_latency_ms=50, tp_warmup_s=0.3, tp_duration_s=1.0,
    st_tokens=6, st_chunk_delay_ms=10, st_warmup=1, st_streams=3,
    st_ttft_warmup=5, st_ttft_streams=20,
    cap_levels=(100,),
    soak_requests=2000, soak_clients=20,
    agent_warmup=2, agent_rounds=2, agent_per_round=4,
    fs_tokens=200, fs_single_rounds=2, fs_concurrency=5, fs_concurrent_rounds=1, fs_peer_budget_s=30,
)

FULL = Scale(
    name="full",
    seq_warmup=50, seq_rounds=7, seq_per_round=25,
    tp_clients=(50, 200), tp_latency_ms=50, tp_warmup_s=2.0, tp_duration_s=10.0,
    st_tokens=20, st_chunk_delay_ms=20, st_warmup=2, st_streams=20,
    st_ttft_warmup=50, st_ttft_streams=300,
    cap_levels=(1000, 5000, 10000),
    soak_requests=200_000, soak_clients=50,
    agent_warmup=10, agent_rounds=5, agent_per_round=10,
    fs_tokens=2000, fs_single_rounds=5, fs_concurrency=50, fs_concurrent_rounds=1, fs_peer_budget_s=60,
    tp_instructions=(400, 1400),
)


def pick(quick, soak_requests=None):
    scale = QUICK if quick else FULL
    return replace(scale, soak_requests=soak_requests) if soak_requests else scale
