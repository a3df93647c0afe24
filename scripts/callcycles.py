#!/usr/bin/env python3
"""Find call circles between source files of the project's static libraries.

Reads the object files (or the static archives that list them) with `nm`,
builds the graph "file A uses a symbol defined in file B", computes its
strongly connected components (Tarjan) and prints every component of more
than LIMIT files, each edge inside it with the symbols that make it, so a
developer sees which call to move down a layer or up to the caller.

usage: callcycles.py [--limit N] [--nm NM] [--graph] FILE.a|FILE.o...

Exit status: 0 no component over the limit, 1 one or more over it,
2 usage error or nothing to read (an input without object files or
without defined symbols): a checker that read nothing must not report a
clean tree.
"""

import argparse
import os
import subprocess
import sys

# nm -P symbol types that define a symbol another file can use (text, data,
# read-only data, bss, common, weak); "U" is a use.
DEFINED = set("TDRBCGSVWi")
GENERATED_PREFIX = "meson-generated_.._"


def fail(msg):
    print(f"callcycles: {msg}", file=sys.stderr)
    sys.exit(2)


def label_for(archive, member):
    """A source-like name for an object: core/mx.c for core/libmxcore.a.p/mx.c.o.

    Two libraries may hold files of one name (core/blocklist.c and
    net/blocklist.c), so the label keeps the library's directory.
    """
    path = member if member else archive
    base = os.path.basename(path)
    if base.endswith(".o"):
        base = base[:-2]
    if base.startswith(GENERATED_PREFIX):
        base = base[len(GENERATED_PREFIX):]
    parent = os.path.dirname(path)
    if parent.endswith(".a.p"):
        parent = os.path.dirname(parent)
    elif member:
        parent = os.path.dirname(archive)
    return f"{os.path.basename(parent) or '.'}/{base}"


def read_symbols(nm, paths):
    """Return {label: (defined set, used set)} for every object in paths."""
    files = {}
    for path in paths:
        if not os.path.exists(path):
            fail(f"{path}: no such file")
        try:
            out = subprocess.run([nm, "-A", "-P", path], check=True,
                                 capture_output=True, text=True).stdout
        except (OSError, subprocess.CalledProcessError) as e:
            fail(f"{path}: nm failed: {e}")
        before = sum(len(d) for d, _ in files.values())
        for line in out.splitlines():
            # "lib.a[member.o]: sym T 0 10" or, for a plain object, "x.o: sym U"
            head, sep, rest = line.partition(": ")
            if not sep:
                continue
            fields = rest.split()
            if len(fields) < 2:
                continue
            sym, kind = fields[0], fields[1]
            member = None
            if head.endswith("]") and "[" in head:
                member = head[head.index("[") + 1:-1]
            label = label_for(path, member)
            defined, used = files.setdefault(label, (set(), set()))
            if kind == "U":
                used.add(sym)
            elif kind in DEFINED:
                defined.add(sym)
        # every input must add something: a library that came out empty
        # (a wrong path, a build that dropped its sources) is a gap in the
        # graph that would hide any circle through it
        if sum(len(d) for d, _ in files.values()) == before:
            fail(f"{path}: no object files with defined symbols")
    return files


def build_graph(files):
    """Return {a: {b: sorted symbols}} for a using what b defines (a != b)."""
    owner = {}
    for label, (defined, _) in files.items():
        for sym in defined:
            owner.setdefault(sym, label)
    graph = {label: {} for label in files}
    for label, (_, used) in files.items():
        for sym in used:
            target = owner.get(sym)
            if target is None or target == label:
                continue
            graph[label].setdefault(target, []).append(sym)
    for edges in graph.values():
        for syms in edges.values():
            syms.sort()
    return graph


def tarjan(graph):
    """Strongly connected components, iteratively (no recursion limit)."""
    index, low, on_stack = {}, {}, set()
    stack, comps, counter = [], [], 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    comp.append(top)
                    if top == node:
                        break
                comps.append(sorted(comp))
    return comps


def main():
    ap = argparse.ArgumentParser(
        description="Report circles of more than LIMIT files in the "
                    "file-level use graph of static libraries or objects.")
    ap.add_argument("--limit", type=int, default=3,
                    help="largest circle allowed, in files (default 3)")
    ap.add_argument("--nm", default=os.environ.get("NM", "nm"),
                    help="the nm to run (default $NM or nm)")
    ap.add_argument("--graph", action="store_true",
                    help="also print every edge of the graph")
    ap.add_argument("paths", nargs="+", metavar="FILE.a|FILE.o")
    args = ap.parse_args()
    if args.limit < 1:
        fail(f"--limit {args.limit}: must be 1 or more")

    files = read_symbols(args.nm, args.paths)
    if not files:
        fail("no object files in " + " ".join(args.paths))
    ndefined = sum(len(d) for d, _ in files.values())
    if ndefined == 0:
        fail("no defined symbols in " + " ".join(args.paths))

    graph = build_graph(files)
    nedges = sum(len(e) for e in graph.values())
    if args.graph:
        for a in sorted(graph):
            for b in sorted(graph[a]):
                print(f"{a} -> {b}: {', '.join(graph[a][b])}")

    comps = tarjan(graph)
    largest = max(len(c) for c in comps)
    over = [c for c in comps if len(c) > args.limit]
    over.sort(key=lambda c: (-len(c), c))
    for comp in over:
        members = set(comp)
        print(f"circle of {len(comp)} files (limit {args.limit}): "
              + " ".join(comp))
        for a in comp:
            for b in sorted(graph[a]):
                if b in members:
                    print(f"  {a} -> {b}: {', '.join(graph[a][b])}")
    print(f"callcycles: {len(files)} files, {ndefined} symbols, "
          f"{nedges} edges, largest circle {largest} files "
          f"(limit {args.limit}), {len(over)} over the limit")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
