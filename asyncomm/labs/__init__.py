"""Labs: experiments that return plain records (numpy, pandas and matplotlib load inside functions).

Each module loads the first time it is used, so ``import asyncomm`` stays light:

* :mod:`~asyncomm.labs.timing` -- sequential vs threads vs asyncio vs processes; :mod:`~asyncomm.labs.plots`
  draws its Gantt charts and speedups, :mod:`~asyncomm.labs.bench` is ``python -m asyncomm bench``;
* :mod:`~asyncomm.labs.diagrams` -- pictures of the patterns drawn from real queues, buses, traces and runs;
* :mod:`~asyncomm.labs.queueing` -- M/M/1, M/M/1/K, Little's law and their simulations;
  :mod:`~asyncomm.labs.queueing_lab` -- M/M/c and M/M/c/K; :mod:`~asyncomm.labs.simulate` -- pipelines on the
  virtual clock;
* :mod:`~asyncomm.labs.faults` -- crashes and delivery guarantees; :mod:`~asyncomm.labs.redis_lab` -- the same on a
  real Redis server (chapter 08);
* :mod:`~asyncomm.labs.sockets` -- many slow clients of a real loopback server, timed like the timing lab;
* :mod:`~asyncomm.labs.messaging` -- the RabbitMQ tutorials' patterns: topic routing and fan-out, request-reply,
  fair dispatch with prefetch;
* :mod:`~asyncomm.labs.levers` -- chapter 06's optimisation levers (bounded queues, batching, slow work moved off);
* :mod:`~asyncomm.labs.pipeline` -- the capstone pipeline; :mod:`~asyncomm.labs.structures` -- queues as linked
  list, array and ring buffer;
* :mod:`~asyncomm.labs.fonts` -- a Chinese font for the plots when the course speaks Chinese (``ac.set_language``).

>>> import asyncomm as ac
>>> ac.labs.queueing.MM1(arrival_rate=0.5, service_rate=1.0).utilization
0.5
"""

from __future__ import annotations

from asyncomm._lazy import lazy_attributes

SUBMODULES = (
    "bench",
    "diagrams",
    "faults",
    "fonts",
    "levers",
    "messaging",
    "pipeline",
    "plots",
    "queueing",
    "queueing_lab",
    "redis_lab",
    "simulate",
    "sockets",
    "structures",
    "timing",
)

__all__ = list(SUBMODULES)
__getattr__, __dir__ = lazy_attributes(__name__, globals(), {}, SUBMODULES)
