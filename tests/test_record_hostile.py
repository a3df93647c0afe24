#!/usr/bin/env python3
"""tests/test_record_hostile.py — a recording is as untrusted as a network
answer. Every string leaf of real recorded lines (tests/data/hostile/) is
given each hostile payload in turn; replay's text, --json and --commands
output must hold no raw control byte (C0, C1, DEL, ESC, bidi controls,
invalid UTF-8), and --commands, sourced by sh with dig, swaks, openssl,
curl, awk and od stubbed on PATH, must run nothing but those tools, each
payload staying inside one argument."""
import json
import os
import re
import subprocess
import sys
import tempfile

BIN = os.environ["MXSCOPE_BIN"]
SRC = os.environ["MXSCOPE_SRCDIR"]
RECORDING = os.path.join(SRC, "tests", "data", "hostile", "recording.ndjson")

# each payload names the canary command it would run if a shell obeyed it
PAYLOADS = {
    "csi": "a\x1b[31mred\x1b[0m",
    "c1": "a\u009b31mred",
    "c1-raw-byte": None,  # a raw 0x9b byte: invalid UTF-8, spliced in below
    "bidi": "abc\u202eevil",
    "semicolon": "a;mxpwn semicolon;b",
    "subst": "a$(mxpwn subst)b",
    "backtick": "a`mxpwn backtick`b",
    "quotes": "a'\"'\"mxpwn quotes'\"b",
    "newline": "a\nmxpwn newline\nb",
    "title": "a\x1b]0;owned\x07b",
    "nul": "a\u0000b",
}
TOOLS = ["dig", "swaks", "openssl", "curl", "awk", "od"]
# bytes a terminal acts on: C0 but newline and tab, DEL, C1 (as UTF-8 or
# raw), the bidi controls
RAW = re.compile(
    rb"[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\x8e\x8f\xaa-\xae]|\xe2\x81[\xa6-\xa9]"
)


def leaves(x, path=()):
    """Every string leaf of a JSON value, as a path of keys and indices."""
    if isinstance(x, dict):
        for k, v in x.items():
            yield from leaves(v, path + (k,))
    elif isinstance(x, list):
        for i, v in enumerate(x):
            yield from leaves(v, path + (i,))
    elif isinstance(x, str):
        yield path


def put(x, path, value):
    for p in path[:-1]:
        x = x[p]
    x[path[-1]] = value


def hostile_lines(payload_name):
    """One line per (recorded line, string leaf): that leaf carries the
    payload, appended to what was there so the field keeps its shape."""
    out = []
    with open(RECORDING, encoding="utf-8") as f:
        base = [json.loads(l) for l in f if l.strip()]
    for line in base:
        seen = set()
        for path in leaves(line):
            # one leaf of each kind: mx[3].addresses[0].probe.greeting is
            # read by the code that reads mx[0]'s
            kind = tuple("[]" if isinstance(p, int) else p for p in path)
            if kind in seen:
                continue
            seen.add(kind)
            x = json.loads(json.dumps(line))
            orig = x
            for p in path:
                orig = orig[p]
            if payload_name == "c1-raw-byte":
                put(x, path, orig + "\udc9b")  # surrogate-escaped 0x9b
                text = json.dumps(x, ensure_ascii=False).encode("utf-8", "surrogateescape")
            else:
                put(x, path, orig + PAYLOADS[payload_name])
                text = json.dumps(x).encode()
            out.append((path, text))
    return out


def where(data, m):
    s = max(0, m.start() - 60)
    return data[s : m.end() + 20]


def run(args, cwd):
    return subprocess.run([BIN] + args, cwd=cwd, capture_output=True, timeout=60)


def main():
    fails = []
    with tempfile.TemporaryDirectory() as t:
        stubs = os.path.join(t, "bin")
        os.mkdir(stubs)
        log = os.path.join(t, "calls")
        for tool in TOOLS + ["mxpwn"]:
            with open(os.path.join(stubs, tool), "w") as f:
                # each argument on its own record, NUL-separated, so that a
                # payload split into two arguments is seen
                f.write('#!/bin/sh\nprintf "%%s\\0" %s "$@" >> %s\nprintf "\\n" >> %s\n'
                        % (tool, log, log))
            os.chmod(os.path.join(stubs, tool), 0o755)
        for name in PAYLOADS:
            lines = hostile_lines(name)
            rec = os.path.join(t, name + ".ndjson")
            with open(rec, "wb") as f:
                for _, text in lines:
                    f.write(text + b"\n")
            if name == "c1-raw-byte":
                # not UTF-8, so not JSON (RFC 8259 §8.1): every line refused,
                # each with its FILE:LINE
                r = run(["replay", rec], t)
                said = r.stderr.count(b".ndjson:")
                if r.returncode != 2 or said != len(lines):
                    fails.append("raw 0x9b: exit %d, %d of %d lines refused"
                                 % (r.returncode, said, len(lines)))
            for mode in ([], ["--json"], ["--commands"], ["--from"]):
                if mode == ["--from"]:
                    r = run(["lab", "--from", rec], t)
                    what = "%s lab --from" % name
                else:
                    r = run(["replay"] + mode + [rec], t)
                    what = "%s replay %s" % (name, " ".join(mode) or "(text)")
                if r.returncode not in (0, 1, 2):
                    fails.append("%s: exit %d: %r" % (what, r.returncode, r.stderr[-300:]))
                for stream, data in (("stdout", r.stdout), ("stderr", r.stderr)):
                    m = RAW.search(data)
                    if m:
                        fails.append("%s: raw control on %s: %r" % (what, stream, where(data, m)))
                    try:
                        data.decode("utf-8")
                    except UnicodeDecodeError as e:
                        fails.append("%s: invalid UTF-8 on %s: %r"
                                     % (what, stream, data[max(0, e.start - 60) : e.end + 10]))
                if mode == ["--from"]:
                    # a zone line is one record or directive: a payload's
                    # line break must not start a directive of its own
                    for l in r.stdout.split(b"\n"):
                        if b"mxpwn" in l and not l.lstrip().startswith(b";") and \
                                re.match(rb"\s*(\$|mxpwn)", l):
                            fails.append("%s: a field became a zone line: %r" % (what, l[:200]))
                if mode == ["--commands"]:
                    for l in r.stdout.split(b"\n"):
                        if l and not l.startswith(b"#") and l.split(b" ")[0] not in \
                                [x.encode() for x in TOOLS]:
                            fails.append("%s: a line that is no command: %r" % (what, l[:200]))
                    if os.path.exists(log):
                        os.unlink(log)
                    # each distinct line once: a mutated leaf changes only
                    # its own lines, the rest repeat the original's
                    uniq = dict.fromkeys(r.stdout.split(b"\n"))
                    with open(os.path.join(t, "cmds"), "wb") as f:
                        f.write(b"\n".join(uniq) + b"\n")
                    sh = subprocess.run(["/bin/sh", "-c", ". ./cmds"], cwd=t, capture_output=True,
                                        input=b"", timeout=60, env={"PATH": stubs, "HOME": t})
                    calls = open(log, "rb").read().split(b"\n") if os.path.exists(log) else []
                    for c in calls:
                        argv = c.split(b"\0")
                        if argv and argv[0] == b"mxpwn":
                            fails.append("%s: the shell ran %r" % (what, argv))
                    if name != "c1-raw-byte" and not any(c.startswith(b"dig\0") for c in calls):
                        fails.append("%s: sourcing ran no dig at all" % what)
                    if sh.stderr:
                        fails.append("%s: sh said %r" % (what, sh.stderr[:300]))
    for f in fails[:40]:
        print("FAIL:", f)
    if fails:
        print("%d failures" % len(fails))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
