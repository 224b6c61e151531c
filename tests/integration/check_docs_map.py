#!/usr/bin/env python3
"""Checks that the architecture docs describe the tree as it is.

Usage: check_docs_map.py SOURCE_DIR
Prints one line per finding ("docs/X.md: <what>") and exits 1 when there is any.

What is checked, mechanically:
  1. Every path in backticks (`src/loop/`, `coord_commit.c`, `tok_pretok*.c`,
     `include/auralith/client.h`, ...) names a file or folder of the tree. A bare file
     name must exist somewhere under src/, include/, tests/, fuzz/, bench/, tools/,
     python/, scripts/ or cmake/.
  2. Every identifier in backticks with a module prefix (`loop_conn`, `app_coord_start`,
     `COORD_IN_COMMITTING`, ...) occurs as a word in the sources; every `test_x`,
     `fuzz_x` or `replay_x` names a test or fuzz target.
  3. The module table of ARCHITECTURE.md ("| `src/<m>/` | prefix | job | depends on |")
     lists every folder of src/ and no other, and its "depends on" column names exactly
     the src modules the folder's files include (common is implied; "everything" is not
     checked). Includes of include/auralith/<h>.h count as the module that implements
     that header.
"""
import os
import re
import sys

DOCS = ["docs/ARCHITECTURE.md", "docs/ARCHITECTURE-coord.md"]
SEARCH_DIRS = ["src", "include", "tests", "fuzz", "bench", "tools", "python", "scripts", "cmake", "docs"]
PREFIXES = ("al_", "cfg_", "proto_", "loop_", "tok_", "shard_", "store_", "coord_", "ops_", "worker_",
            "alc_", "app_", "cli_", "cmd_", "AL_", "COORD_", "PROTO_", "TOK_", "STORE_", "LOOP_", "ALC_")
TEST_PREFIXES = ("test_", "fuzz_", "replay_")
FILE_EXT = re.compile(r"\.(c|h|py|sh|md|jsonl|json|txt|in|js|yaml|cmake)$")
# files the programs read or write at run time, named in the docs but not part of the tree
RUNTIME_FILES = {"index.json", "vocab.json", "merges.txt", "config.json", "tokenizer.json", "metadata.json"}
# public header -> module that implements it
PUBLIC_HEADERS = {"client.h": "client", "pipeline.h": "client", "config.h": "config",
                  "tokenizer.h": "tokenize", "version.h": "common", "error.h": "common"}


def all_files(root):
    out = []
    for d in SEARCH_DIRS:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, d)):
            dirnames[:] = [x for x in dirnames if x not in (".git", "__pycache__", "node_modules")
                           and os.path.join(dirpath, x) != os.path.join(root, "bench", "work")]  # runs' output
            for f in filenames:
                out.append(os.path.relpath(os.path.join(dirpath, f), root))
    return out


def words_in_sources(root, files):
    words = set()
    for f in files:
        if not re.search(r"\.(c|h|py|sh|txt|cmake|in)$", f) and not f.endswith("CMakeLists.txt"):
            continue
        try:
            with open(os.path.join(root, f), encoding="utf-8", errors="replace") as fh:
                words.update(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", fh.read()))
        except OSError:
            pass
    with open(os.path.join(root, "CMakeLists.txt"), encoding="utf-8") as fh:
        words.update(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", fh.read()))
    return words


def glob_match(pat, names):
    rx = re.compile("^" + re.escape(pat).replace(r"\*", "[^/]*") + "$")
    return any(rx.match(n) for n in names)


def check_token(root, doc, tok, files, basenames, words, tests, problems):
    tok = tok.strip()
    if "<" in tok or "{" in tok or tok in RUNTIME_FILES or tok.startswith("bench/work"):
        return  # a pattern, a file of a run, or a directory bench/ creates
    if "/" in tok and not tok.startswith(("<", "http")) and " " not in tok:
        path = tok.rstrip("/")
        if path.startswith(("src/", "include/", "tests/", "fuzz/", "bench/", "tools/", "python/", "docs/",
                            "scripts/", "cmake/")):
            if "*" in path:
                if not glob_match(path, files):
                    problems.append(f"{doc}: `{tok}` matches no file")
            elif not os.path.exists(os.path.join(root, path)):
                problems.append(f"{doc}: `{tok}` does not exist")
        elif re.match(r"^[a-z_]+/[\w./*-]+$", path) and os.path.isdir(os.path.join(root, "src", path.split("/")[0])):
            # module-relative (`store/store.h`, `app/app_coord.c`)
            if not glob_match("src/" + path, files) and not os.path.exists(os.path.join(root, "src", path)):
                problems.append(f"{doc}: `{tok}` (src/{path}) does not exist")
        return
    if " " in tok or "(" in tok and not tok.endswith("()"):
        return
    if re.match(r"^\.[A-Za-z0-9]+$", tok):
        return  # an extension (`.jsonl`), not a file
    if FILE_EXT.search(tok) and re.match(r"^[\w*.-]+$", tok):
        if "*" in tok:
            if not glob_match(tok, basenames):
                problems.append(f"{doc}: `{tok}` matches no file")
        elif tok not in basenames:
            problems.append(f"{doc}: file `{tok}` not found in the tree")
        return
    name = tok[:-2] if tok.endswith("()") else tok
    if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
        return
    if name.startswith(TEST_PREFIXES):
        if name not in tests and name not in words:
            problems.append(f"{doc}: test or fuzz target `{name}` not found")
        return
    if name.startswith(PREFIXES) and len(name) > 3 and not name.endswith("_"):
        if name not in words:
            problems.append(f"{doc}: identifier `{name}` occurs nowhere in the sources")


def module_includes(root, module):
    deps = set()
    d = os.path.join(root, "src", module)
    for f in os.listdir(d):
        if not f.endswith((".c", ".h")):
            continue
        with open(os.path.join(d, f), encoding="utf-8", errors="replace") as fh:
            for m in re.finditer(r'^\s*#\s*include\s+"([a-z_]+)/([A-Za-z0-9_.]+)"', fh.read(), re.M):
                dep = m.group(1)
                if dep == "auralith":
                    dep = PUBLIC_HEADERS.get(m.group(2), "?" + m.group(2))
                if dep != module:
                    deps.add(dep)
    return deps


def check_module_table(root, problems):
    doc = DOCS[0]
    with open(os.path.join(root, doc), encoding="utf-8") as fh:
        text = fh.read()
    modules = sorted(x for x in os.listdir(os.path.join(root, "src")) if os.path.isdir(os.path.join(root, "src", x)))
    rows = {}
    for line in text.splitlines():
        m = re.match(r"^\| `src/([a-z_]+)/` \|[^|]*\|[^|]*\| ([^|]*) \|\s*$", line)
        if m:
            rows[m.group(1)] = m.group(2)
    for mod in modules:
        if mod not in rows:
            problems.append(f"{doc}: module table has no row for src/{mod}/")
    for mod, col in rows.items():
        if mod not in modules:
            problems.append(f"{doc}: module table names src/{mod}/, which does not exist")
            continue
        if col.strip() == "everything":
            continue
        declared = set()
        for item in col.split(","):
            w = item.strip().split(" ")[0]
            if w in modules:
                declared.add(w)
        actual = module_includes(root, mod)
        actual.discard("common")
        declared.discard("common")
        for dep in sorted(actual - declared):
            problems.append(f"{doc}: src/{mod}/ includes {dep}/ headers but the table's 'depends on' omits {dep}")
        for dep in sorted(declared - actual):
            problems.append(f"{doc}: the table says src/{mod}/ depends on {dep}, but no file of it includes {dep}/")


def main():
    root = sys.argv[1]
    files = all_files(root)
    basenames = {os.path.basename(f) for f in files}
    words = words_in_sources(root, files)
    tests = {os.path.splitext(os.path.basename(f))[0] for f in files
             if os.path.basename(f).startswith(TEST_PREFIXES)}
    problems = []
    for doc in DOCS:
        with open(os.path.join(root, doc), encoding="utf-8") as fh:
            text = fh.read()
        text = re.sub(r"```.*?```", "", text, flags=re.S)  # diagrams and examples
        for tok in re.findall(r"`([^`\n]+)`", text):
            check_token(root, doc, tok, files, basenames, words, tests, problems)
    check_module_table(root, problems)
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
