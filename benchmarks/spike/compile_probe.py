"""Time, in this fresh process, numba's import and the compiled form's first and warm calls.

Run by ``bench_spike.py`` twice with one ``NUMBA_CACHE_DIR``: first with the cache empty (the
call compiles), then with the cache the first run left (the call loads the compiled code).
Prints one JSON line. Kept apart from ``bench_spike.py`` so that nothing imports numba or the
compiled form before the clock starts.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    """Measure and print."""
    import common
    import numpy as np

    x_p, layout, c = common.geneva()
    R = 100  # noqa: N806
    start = common.start_state(x_p, c, R)
    block = common.blocks(layout, R, 1)[0]
    given = np.full((R, c.A), common.NO_MOVE, dtype=np.int64)
    out = {}
    c0, w0 = time.process_time(), time.perf_counter()
    import numba  # noqa: F401

    out["numba_import"] = (time.process_time() - c0, time.perf_counter() - w0)
    c0, w0 = time.process_time(), time.perf_counter()
    import compiled_form as cf

    out["module_import"] = (time.process_time() - c0, time.perf_counter() - w0)
    k = cf.constants(c)
    for name in ("first_call", "warm_call"):
        s = cf.state(start)
        arrays = (
            np.zeros((R, c.A), dtype=np.int64),
            np.zeros((R, c.A), dtype=bool),
            np.zeros((R, c.A), dtype=np.int64),
        )
        c0, w0 = time.process_time(), time.perf_counter()
        cf.two_phases(s, k, block, given, given, *arrays)
        out[name] = (time.process_time() - c0, time.perf_counter() - w0)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
