#!/usr/bin/env python3
"""The call-circle checker (scripts/callcycles.py) against a fixture with
known circles (tests/data/callcycles), so the `layers` test is known to fail
when a circle comes back: the circle of four is reported with the symbols
of each edge, the pair of two only under a lower limit, the file that only
calls in never; and input without objects or symbols is an error, not a
clean tree.

usage: test_callcycles.py CALLCYCLES.py FIXTURE.a EMPTY.a
"""

import os
import re
import subprocess
import sys
import tempfile

failures = []


def run(*args):
    p = subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def check(what, cond, detail=""):
    if not cond:
        failures.append(f"{what}{': ' + detail if detail else ''}")


def circle_files(out, size):
    """The fixture files of the circle of `size` files, or None. Meson names
    an object after its source path (tests/data_callcycles_cc_a.c), so a
    file is known by how its name ends."""
    m = re.search(rf"^circle of {size} files \(limit \d+\): (.*)$", out, re.M)
    return None if not m else sorted(f[-6:] for f in m.group(1).split())


def edge(out, a, b):
    """The symbols of the edge a -> b as printed, or None."""
    m = re.search(rf"^  \S*{re.escape(a)} -> \S*{re.escape(b)}: (.*)$", out, re.M)
    return None if not m else m.group(1)


SCRIPT, FIXTURE, EMPTY = sys.argv[1:4]

rc, out, err = run(FIXTURE)
check("limit 3: exit 1", rc == 1, f"rc {rc}, {err}")
check("limit 3: the circle of four", circle_files(out, 4) == ["cc_a.c", "cc_b.c", "cc_c.c", "cc_d.c"], out)
check("limit 3: the pair is within the limit", circle_files(out, 2) is None, out)
check("limit 3: a data use is an edge", edge(out, "cc_c.c", "cc_d.c") == "cc_d, cc_d_count", out)
check("limit 3: the closing edge", edge(out, "cc_d.c", "cc_a.c") == "cc_a", out)
check("limit 3: g only calls in", "cc_g.c" not in out.split("callcycles:")[0], out)

rc, out, err = run("--limit", "1", FIXTURE)
check("limit 1: exit 1", rc == 1, f"rc {rc}, {err}")
check("limit 1: the pair", circle_files(out, 2) == ["cc_e.c", "cc_f.c"], out)
check("limit 1: both edges of the pair", edge(out, "cc_e.c", "cc_f.c") == "cc_f"
      and edge(out, "cc_f.c", "cc_e.c") == "cc_e", out)

rc, out, err = run("--limit", "4", FIXTURE)
check("limit 4: exit 0", rc == 0, f"rc {rc}, {out}{err}")
check("limit 4: says the largest", "largest circle 4 files (limit 4), 0 over" in out, out)

rc, out, err = run(EMPTY)
check("no symbols: exit 2", rc == 2, f"rc {rc}, {out}")
check("no symbols: says so", "no object files with defined symbols" in err, err)

rc, out, err = run(FIXTURE, EMPTY)
check("one empty input among good ones: exit 2", rc == 2, f"rc {rc}, {out}")

with tempfile.TemporaryDirectory() as tmp:
    bare = os.path.join(tmp, "none.a")
    with open(bare, "w") as f:
        f.write("!<arch>\n")
    rc, out, err = run(bare)
    check("an archive without members: exit 2", rc == 2, f"rc {rc}, {out}")
    rc, out, err = run(os.path.join(tmp, "missing.a"))
    check("a missing file: exit 2", rc == 2 and "no such file" in err, f"rc {rc}, {err}")

rc, out, err = run("--limit", "0", FIXTURE)
check("--limit 0: exit 2", rc == 2, f"rc {rc}, {err}")

for f in failures:
    print(f"FAIL {f}")
print(f"{'FAIL' if failures else 'ok'}: {len(failures)} of the checker's checks failed")
sys.exit(1 if failures else 0)
