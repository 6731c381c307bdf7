"""The soak: the whole marketplace under steady mixed load for a long while, sampled every 10 s,
and a verdict on whether anything grew without bound.

    make soak                       30 minutes (SOAK_MINUTES=N for another length)
    make reliability                a 3-minute soak among the reliability checks

The load, all through the gateway, at a steady rate (each actor waits a think time between
requests, so the rate does not depend on how fast the marketplace answers):

    browse      visitors open listings and the newest and cheapest pages
    search      visitors search in words and ask for completions
    checkout    customers order 1-2 pieces (stock that never runs out, made to order), one in ten
                paying with a card the provider declines
    fulfil      makers accept, check, dispatch; operators mark delivered (most confirmed orders)
    return      customers return a delivered piece as faulty, makers receive it (refunded)

Every SAMPLE_S seconds a sample records: each process's resident memory (RSS, MiB), the
latency percentiles of each kind of request in the interval (and its errors), every queue of
the run's namespace (messages ready and unacknowledged), each service's outbox (unsent rows,
the age of the oldest), and the PostgreSQL connections each service holds. When the load ends,
the marketplace gets DRAIN_S seconds to finish its work; a last sample is taken then.

The verdict compares the last third of the run with the middle third (the first third is the
warm-up: pools fill, caches load, the allocator finds its size), series by series, against
the thresholds in THRESHOLDS; fits a line to each process's memory over the last two thirds
and bounds its slope (MiB per hour: a steady leak that the thirds' medians would let through);
and checks that nothing is left behind at the end: every queue empty but the parking queues,
and these no fuller than before the load; every outbox sent.

The samples go to docs/reliability/soak-<N>min.json and .csv, the charts to
docs/reliability/soak-<N>min-<what>.png (matplotlib, a dev dependency).

    load        the actors and what they saw (Rates, Soaker, Recorder)
    sampling    the samples (Sampler)
    verdict     the verdict (THRESHOLDS, RSS_SLOPE_MIB_PER_HOUR)
    output      the JSON, CSV and charts
    run         the whole soak (soak)
"""

from tests.reliability.soak.load import KINDS, Rates, Recorder
from tests.reliability.soak.run import SOAK_MINUTES, soak
from tests.reliability.soak.verdict import DRAIN_S, THRESHOLDS, verdict

__all__ = ["DRAIN_S", "KINDS", "SOAK_MINUTES", "THRESHOLDS", "Rates", "Recorder", "soak", "verdict"]
