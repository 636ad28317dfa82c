#!/usr/bin/env bash
# Fails when the source tree's dependency graph has a ring or runs upward
# (docs/layout.md, "Layer rules"). A file depends on every header it
# includes and on every .c file that defines a wk_ function or table it
# names (a declaration in a shared header hides such an edge from the
# includes alone). Checked:
#  - rings between files of src/server and src/store;
#  - rings between folders of src/server and src/store (each folder below
#    them is one node; the files in src/server and src/store themselves
#    are nodes of their own: server.h sits below every service, main.c
#    and init.c above them; store/open.c above sqlite/, store.c below);
#  - files outside a folder of src/server include one header of it, its
#    interface (the others are the folder's own and its unit tests');
#  - layers: common < crypto, iam < store < the programs (server, agent,
#    authkeys, cli, pam): common, crypto, iam and store depend on nothing
#    at or above their own rank but themselves.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 - "$@" <<'PY'
import os, re, sys

SRC = "src"
files = []
for root, _, names in os.walk(SRC):
    for n in sorted(names):
        if n.endswith((".c", ".h")):
            files.append(os.path.join(root, n)[len(SRC) + 1:])
files.sort()

def strip(text):
    # Comments, strings and character constants hold names that are no
    # dependency.
    return re.sub(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'',
                  lambda m: "" if m.group(0)[0] == "/" else '""',
                  text, flags=re.S)

inc_re = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
defn_re = re.compile(r'^(?:[A-Za-z_][^;(){}=]*[\s*])?(wk_[A-Za-z0-9_]+)\s*(?:\(|\[[^\]]*\]\s*=|=)', re.M)
name_re = re.compile(r'\bwk_[A-Za-z0-9_]+\b')

raw = {f: open(os.path.join(SRC, f), encoding="utf-8").read() for f in files}
incs = {f: [i for i in inc_re.findall(raw[f]) if i in raw] for f in files}
code = {f: strip(raw[f]) for f in files}

defined = {}    # symbol -> .c file defining it (not static)
for f in files:
    if not f.endswith(".c"):
        continue
    lines = code[f].split("\n")
    for i, line in enumerate(lines):
        # A definition starts in column 0 ("wk_f(" under its return type,
        # or "const struct x wk_t[] = {"); static ones are the file's own.
        m = defn_re.match(line)
        if not m or line.startswith(("static", "extern", "typedef", "#")):
            continue
        if line.startswith("wk_") and i and lines[i - 1].startswith("static"):
            continue
        defined.setdefault(m.group(1), f)

deps = {f: set() for f in files}
for f in files:
    deps[f].update(incs[f])
    if f.endswith(".c"):
        for name in set(name_re.findall(code[f])):
            d = defined.get(name)
            if d and d != f:
                deps[f].add(d)

def sccs(nodes, edges):
    # Tarjan, iterative; returns the components with more than one node.
    index, low, on, stack, out, n = {}, {}, set(), [], [], [0]
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = n[0]; n[0] += 1
        stack.append(root); on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = n[0]; n[0] += 1
                    stack.append(w); on.add(w)
                    work.append((w, iter(sorted(edges.get(w, ())))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop(); on.discard(w); comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out

def explain(comp, edges):
    # One edge list inside the ring, with why (include or symbol).
    s = set(comp)
    return ["    %s -> %s" % (a, b) for a in comp for b in sorted(edges[a]) if b in s]

problems = []
scope = [f for f in files if f.startswith(("server/", "store/"))]
for comp in sccs(scope, {f: {d for d in deps[f] if d in scope} for f in scope}):
    problems.append("ring between files:\n" + "\n".join(explain(comp, deps)))

def folder(f):
    parts = f.split("/")
    if parts[0] in ("server", "store") and len(parts) == 2:
        return f            # main.c, server.h, store.c, open.c: own nodes
    return "/".join(parts[:2]) if parts[0] in ("server", "store") and len(parts) > 2 else parts[0]

fdeps, why = {}, {}
for f in scope:
    a = folder(f)
    for d in deps[f]:
        b = folder(d)
        if a != b:
            fdeps.setdefault(a, set()).add(b)
            why.setdefault((a, b), "%s -> %s" % (f, d))
fnodes = sorted({folder(f) for f in files})
for comp in sccs(fnodes, fdeps):
    s = set(comp)
    problems.append("ring between folders:\n" + "\n".join(
        "    %s -> %s (%s)" % (a, b, why.get((a, b), "")) for a in comp
        for b in sorted(fdeps.get(a, ())) if b in s))

# A folder's interface: the one header of it that other folders include.
iface = {}
for f in files:
    for i in incs[f]:
        p = i.split("/")
        if p[0] == "server" and len(p) == 3 and folder(f) != folder(i):
            iface.setdefault(folder(i), {}).setdefault(i, f)
for fo in sorted(iface):
    if len(iface[fo]) > 1:
        problems.append("folder %s has more than one interface header:\n%s" % (fo,
            "\n".join("    %s (included by %s)" % kv for kv in sorted(iface[fo].items()))))

rank = {"common": 0, "crypto": 1, "iam": 1, "store": 2}
for f in files:
    a = f.split("/")[0]
    if a not in rank:
        continue            # the programs may use every lower layer
    for d in sorted(deps[f]):
        b = d.split("/")[0]
        if a != b and rank.get(b, 9) >= rank[a]:
            problems.append("layer: %s (%s) depends on %s (%s)" % (f, a, d, b))

for p in problems:
    print("check-layout: " + p, file=sys.stderr)
if problems:
    print("check-layout: %d problem(s); see docs/layout.md" % len(problems), file=sys.stderr)
    sys.exit(1)
print("check-layout: ok (%d files, %d folders)" % (len(files), len(fnodes)))
PY
