#!/usr/bin/env python3
"""Precision/recall of keyhound and its competitors on labelled public examples.

Run through benches/eval.sh (which puts the competitors on PATH); see its header for usage.

The data (one JSONL file per source, never copied into this repository) and the scoring rules
are described in $EVAL_DIR/README.md. In short: every record becomes one file, a scanner is run
over each source's folder in directory mode, and a record counts as flagged when the scanner
reports anything in its file. Positives flagged are found (recall), negatives flagged are false
positives (FP rate); precision = found / (found + flagged negatives), counted in records.

Standard library only (Python 3.11).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_EVAL_DIR = "../shared/eval/public"
DEFAULT_SCANNERS = ["keyhound", "kingfisher", "gitleaks", "betterleaks"]
GITLEAKS_CONFIG = os.environ.get("GL_CONFIG", "/opt/anchors/etc/gitleaks-default.toml")
# A scan of one source takes seconds; anything near this limit is a hang, not a slow scanner.
SCAN_TIMEOUT_S = 900


# --------------------------------------------------------------------------------------------
# Records


@dataclass
class Record:
    id: str
    source: str
    label: str  # "positive" | "negative"
    rule_hint: str
    text: str
    meta_path: str | None
    dirname: str = ""  # the record's own subdirectory in its source's scan folder
    relfile: str = ""  # the record's file, relative to that subdirectory


def sanitize(name: str) -> str:
    """A file-name-safe version of an id: ids look like `noseyparker:812994115ec998d0`."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", name).strip(".") or "_"


def safe_relpath(meta_path: str | None) -> str | None:
    """meta.path as a relative path that stays inside the record's folder, or None.

    The names matter (rules keyed on `.npmrc`, `Nuget.config`, `*.p12`, ...) and some have
    folders (`emails/send_mails.py`), so they are kept, minus anything that could escape.
    """
    if not meta_path:
        return None
    parts = [p for p in meta_path.replace("\\", "/").split("/") if p not in ("", ".", "..")]
    parts = [p.replace("\0", "_") for p in parts]
    return "/".join(parts) or None


def load_source(path: Path) -> list[Record]:
    source = path.stem
    records = []
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            r = json.loads(line)
            if r.get("label") not in ("positive", "negative"):
                raise SystemExit(f"{path}:{n}: label must be positive or negative")
            records.append(
                Record(
                    id=r["id"],
                    source=source,
                    label=r["label"],
                    rule_hint=r.get("rule_hint") or "-",
                    text=r.get("text") or "",
                    meta_path=safe_relpath((r.get("meta") or {}).get("path")),
                )
            )
    # Ordered by id so that the folder layout, and with it every listing, is reproducible.
    records.sort(key=lambda r: r.id)
    return records


def materialize(records: list[Record], folder: Path) -> dict[str, Record]:
    """Writes each record to FOLDER/<sanitized id>/<meta.path or id.txt>; returns dirname -> record.

    One subdirectory per record keeps records with the same meta.path (e.g. several
    `nuget.config`) apart, and lets a finding be mapped back by its first path component.
    """
    by_dir: dict[str, Record] = {}
    for r in records:
        base = sanitize(r.id)
        dirname, n = base, 1
        while dirname in by_dir:  # two ids that sanitize alike
            n += 1
            dirname = f"{base}-{n}"
        r.dirname = dirname
        r.relfile = r.meta_path or f"{sanitize(r.id)}.txt"
        by_dir[dirname] = r
        target = folder / dirname / r.relfile
        target.parent.mkdir(parents=True, exist_ok=True)
        # Byte-for-byte text: no newline translation; lone surrogates (possible in JSON) kept.
        with target.open("w", encoding="utf-8", errors="surrogatepass", newline="") as f:
            f.write(r.text)
    return by_dir


# --------------------------------------------------------------------------------------------
# Scanners. Each one: a command that writes a report file, the exit codes that mean "ran fine"
# (findings or none), and a parser returning (path as reported, rule id) per finding location.


@dataclass
class Scanner:
    name: str
    exe: str  # resolved executable
    ok_codes: tuple[int, ...]
    version_args: list[str]
    note: str = ""  # how this run departs from the tool's defaults, and why
    version: str = ""

    def command(self, folder: Path, report: Path, tmp: Path) -> list[str]:
        raise NotImplementedError

    def parse(self, report: Path) -> list[tuple[str, str]]:
        raise NotImplementedError


class Keyhound(Scanner):
    def command(self, folder, report, tmp):
        # An empty --config so neither the repository's .keyhound.toml nor one in the scanned
        # folder can change the rules; the folder is not a git repository, so nothing git-related.
        return [self.exe, "scan", str(folder), "--no-ignore", "--format", "json",
                "--max-file-size", "50MiB", "--no-progress",
                "--config", str(tmp / "empty-keyhound.toml"), "-o", str(report)]

    def parse(self, report):
        doc = json.loads(report.read_text(encoding="utf-8"))
        # One finding per distinct secret and rule, with every place it occurs.
        return [(loc["path"], f["rule"]["id"])
                for f in doc.get("findings", []) for loc in f.get("locations", [])]


class Kingfisher(Scanner):
    def command(self, folder, report, tmp):
        # --no-dedup: by default Kingfisher reports a secret once, at its first file, and drops
        # the other files holding it. Many records share a secret (rule examples reuse one
        # token), so deduplication would score later records as misses that it did detect.
        return [self.exe, "scan", str(folder), "--no-validate", "--no-update-check",
                "--git-history", "none", "--no-dedup", "--format", "json", "-o", str(report)]

    def parse(self, report):
        doc = json.loads(report.read_text(encoding="utf-8"))
        return [((f.get("finding") or {}).get("path", ""), (f.get("rule") or {}).get("id", "?"))
                for f in doc.get("findings", [])]


class Gitleaks(Scanner):
    def command(self, folder, report, tmp):
        return [self.exe, "dir", str(folder), "-c", GITLEAKS_CONFIG, "--no-banner",
                "-f", "json", "-r", str(report)]

    def parse(self, report):
        return [(f.get("File", ""), f.get("RuleID", "?"))
                for f in json.loads(report.read_text(encoding="utf-8")) or []]


class Betterleaks(Scanner):
    def command(self, folder, report, tmp):
        return [self.exe, "fs", str(folder), "--no-banner", "-o", str(report)]

    def parse(self, report):
        doc = json.loads(report.read_text(encoding="utf-8"))
        # 2.x writes {"schema_version", "findings": [{rule_id, location: {path}}], "scan"};
        # a gitleaks-style array with File/RuleID is accepted too, in case a build differs.
        if isinstance(doc, list):
            return [(f.get("File", ""), f.get("RuleID", "?")) for f in doc]
        return [((f.get("location") or {}).get("path", ""), f.get("rule_id", "?"))
                for f in doc.get("findings") or []]


def resolve_scanners(names: list[str]) -> tuple[list[Scanner], list[str]]:
    """The requested scanners that are installed, and a note for each one that is not."""
    found: list[Scanner] = []
    notes: list[str] = []
    for name in names:
        if name not in DEFAULT_SCANNERS:
            raise SystemExit(f"error: unknown scanner {name!r} "
                             f"(known: {', '.join(DEFAULT_SCANNERS)})")
        if name == "keyhound":
            # Made absolute now, since the scans run in a temp dir. $KEYHOUND is taken relative
            # to the caller's directory, like any path argument; the default build to the repo.
            env = os.environ.get("KEYHOUND")
            exe = Path(env).resolve() if env else REPO_ROOT / "target/release/keyhound"
            if not os.access(exe, os.X_OK):
                # keyhound is what is being measured: a missing build is an error, not a skip.
                raise SystemExit(f"error: no keyhound binary at {exe} "
                                 "(cargo build --release, or set KEYHOUND)")
            found.append(Keyhound("keyhound", str(exe), (0, 1), ["--version"]))
            continue
        exe = shutil.which(name)
        if exe is None:
            notes.append(f"{name}: not installed, skipped (source /opt/anchors/env.sh?)")
        elif name == "kingfisher":
            # 0 = no findings, 200 = findings, 205 = validated findings (not with --no-validate).
            found.append(Kingfisher(name, exe, (0, 200, 205), ["--version"],
                                    note="run with --no-dedup (see eval.py)"))
        elif name == "gitleaks":
            if not Path(GITLEAKS_CONFIG).is_file():
                notes.append(f"gitleaks: no config at {GITLEAKS_CONFIG}, skipped")
            else:
                found.append(Gitleaks(name, exe, (0, 1), ["version"]))
        elif name == "betterleaks":
            found.append(Betterleaks(name, exe, (0, 1), ["--version"]))
    for s in found:
        try:
            out = subprocess.run([s.exe, *s.version_args], capture_output=True, text=True,
                                 timeout=30, stdin=subprocess.DEVNULL)
            lines = (out.stdout.strip() or out.stderr.strip()).splitlines()
        except (OSError, subprocess.TimeoutExpired):
            lines = []
        s.version = lines[0] if lines else "?"
    return found, notes


# --------------------------------------------------------------------------------------------
# Running a scan and mapping findings to records


class ScanError(Exception):
    pass


def run_scan(s: Scanner, folder: Path, tmp: Path, tag: str) -> list[tuple[str, str]]:
    report = tmp / "reports" / f"{tag}.{s.name}.json"
    log = tmp / "reports" / f"{tag}.{s.name}.stderr"
    report.unlink(missing_ok=True)
    cmd = s.command(folder, report, tmp)
    # Neutral working directory: no .keyhound.toml, .gitleaksignore or the like is picked up.
    # stdout is discarded because some tools print their findings, secrets included, there.
    with log.open("wb") as err:
        try:
            rc = subprocess.run(cmd, cwd=tmp / "cwd", stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=err,
                                timeout=SCAN_TIMEOUT_S).returncode
        except subprocess.TimeoutExpired:
            raise ScanError(f"timed out after {SCAN_TIMEOUT_S}s")
    # gitleaks exits 1 both for "leaks found" and for errors, so a missing report is the error.
    if rc not in s.ok_codes or not report.is_file():
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-5:]
        raise ScanError(f"exit code {rc}, report {'present' if report.is_file() else 'missing'}; "
                        f"stderr tail: {' | '.join(tail)}")
    try:
        return s.parse(report)
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise ScanError(f"unreadable report {report}: {e!r}")


def record_dir_of(path: str, root: Path, by_dir: dict[str, Record], cwd: Path) -> str | None:
    """The record subdirectory a reported path lies in, or None.

    Tools report paths absolute (gitleaks, kingfisher, betterleaks) or relative to the scanned
    folder (keyhound). The first component under the root names the record, which also covers
    members of archives (`x.zip/inner`, `x.zip!inner`) should a tool report those.
    """
    if not path:
        return None
    candidates = [Path(path)] if os.path.isabs(path) else [root / path, cwd / path]
    for c in candidates:
        try:
            rel = Path(os.path.normpath(c)).relative_to(root)
        except ValueError:
            continue
        if rel.parts and rel.parts[0] in by_dir:
            return rel.parts[0]
    return None


# --------------------------------------------------------------------------------------------
# Scores


@dataclass
class Score:
    positives: int = 0
    found: int = 0
    negatives: int = 0
    flagged: int = 0
    missed_ids: list[str] = field(default_factory=list)
    flagged_ids: list[str] = field(default_factory=list)
    error: str | None = None

    @staticmethod
    def ratio(a: int, b: int) -> float | None:
        return a / b if b else None

    @property
    def recall(self):
        return self.ratio(self.found, self.positives)

    @property
    def fp_rate(self):
        return self.ratio(self.flagged, self.negatives)

    @property
    def precision(self):
        return self.ratio(self.found, self.found + self.flagged)

    def as_json(self, with_ids: bool = False) -> dict:
        d = {"positives": self.positives, "found": self.found, "negatives": self.negatives,
             "flagged": self.flagged, "recall": self.recall, "fp_rate": self.fp_rate,
             "precision": self.precision}
        if with_ids:
            d["missed_positives"] = sorted(self.missed_ids)
            d["flagged_negatives"] = sorted(self.flagged_ids)
        if self.error:
            d["error"] = self.error
        return d


def score(records: list[Record], flagged_dirs: set[str]) -> Score:
    s = Score()
    for r in records:
        hit = r.dirname in flagged_dirs
        if r.label == "positive":
            s.positives += 1
            s.found += hit
            if not hit:
                s.missed_ids.append(r.id)
        else:
            s.negatives += 1
            s.flagged += hit
            if hit:
                s.flagged_ids.append(r.id)
    return s


# --------------------------------------------------------------------------------------------
# Output


def pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}"


def print_table(sources: list[str], counts: dict[str, tuple[int, int]],
                scanners: list[Scanner], results: dict[str, dict[str, Score]],
                total: dict[str, Score], total_counts: tuple[int, int]) -> None:
    rows = [*sources, "TOTAL"]
    w0 = max(len(r) for r in rows) + 2
    sub = ["rec%", "FP%", "prec%"]
    cw = 7  # width of one sub-column
    group = cw * len(sub)
    head1 = f"{'':<{w0}}{'pos':>5}{'neg':>5}  " + "  ".join(f"{s.name:^{group}}" for s in scanners)
    head2 = f"{'source':<{w0}}{'':>10}  " + "  ".join("".join(f"{h:>{cw}}" for h in sub)
                                                     for _ in scanners)
    print(head1)
    print(head2)
    print("-" * len(head2))
    for row in rows:
        pos, neg = total_counts if row == "TOTAL" else counts[row]
        cells = []
        for s in scanners:
            sc = total[s.name] if row == "TOTAL" else results[row][s.name]
            if sc.error:
                cells.append(f"{'ERROR':^{group}}")
            else:
                cells.append("".join(f"{v:>{cw}}" for v in
                                     (pct(sc.recall), pct(sc.fp_rate), pct(sc.precision))))
        if row == "TOTAL":
            print("-" * len(head2))
        print(f"{row:<{w0}}{pos:>5}{neg:>5}  " + "  ".join(cells))


def print_misses(name: str, sources: list[str], by_source: dict[str, list[Record]],
                 results: dict[str, dict[str, Score]],
                 fired: dict[str, dict[str, set[str]]]) -> None:
    """Ids, rule_hint, file name and the rules that fired: never the texts or the secrets."""
    print(f"\n== {name}: missed positives and flagged negatives (ids and rule_hint only)")
    for src in sources:
        sc = results[src][name]
        if sc.error:
            print(f"\n{src}: scan failed ({sc.error})")
            continue
        recs = {r.id: r for r in by_source[src]}
        # A negative whose text (and file name) is also one of the source's positives cannot be
        # passed without missing that positive; marked so nobody chases it.
        positive_texts = {(r.meta_path, r.text) for r in by_source[src] if r.label == "positive"}
        for title, ids in (("missed positives", sc.missed_ids),
                           ("flagged negatives", sc.flagged_ids)):
            print(f"\n{src}: {title}: {len(ids)}")
            for i in sorted(ids, key=lambda i: (recs[i].rule_hint, i)):
                r = recs[i]
                extra = f"  path: {r.meta_path}" if r.meta_path else ""
                if r.label == "negative":
                    extra += "  fired: " + ",".join(sorted(fired[src].get(r.dirname, ())))
                    if (r.meta_path, r.text) in positive_texts:
                        extra += "  (same text is also a positive)"
                print(f"  {r.rule_hint:<40} {i}{extra}")


# --------------------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scanners", default=",".join(DEFAULT_SCANNERS),
                    help="comma-separated, in column order (default: %(default)s)")
    ap.add_argument("--sources", help="comma-separated source names (default: all)")
    ap.add_argument("--json", metavar="FILE", help="also write the numbers to FILE")
    ap.add_argument("--misses", metavar="SCANNER",
                    help="list that scanner's missed positives and flagged negatives")
    ap.add_argument("--keep", action="store_true",
                    help="keep the temporary folder (records and raw reports) for inspection")
    args = ap.parse_args()

    eval_dir = Path(os.environ.get("EVAL_DIR") or DEFAULT_EVAL_DIR)
    if not eval_dir.is_absolute():
        eval_dir = REPO_ROOT / eval_dir
    eval_dir = Path(os.path.normpath(eval_dir))
    files = sorted(eval_dir.glob("*.jsonl")) if eval_dir.is_dir() else []
    if not files:
        print(f"skipped: no eval data at {eval_dir}")
        return 0
    if args.sources:
        wanted = set(args.sources.split(","))
        unknown = wanted - {f.stem for f in files}
        if unknown:
            raise SystemExit(f"error: no such source(s): {', '.join(sorted(unknown))}")
        files = [f for f in files if f.stem in wanted]

    names = [n.strip() for n in args.scanners.split(",") if n.strip()]
    if args.misses and args.misses not in names:
        raise SystemExit(f"error: --misses {args.misses}: not among --scanners")
    scanners, notes = resolve_scanners(names)
    for n in notes:
        print(f"note: {n}")
    if not scanners:
        print("error: none of the requested scanners is installed", file=sys.stderr)
        return 1

    by_source = {f.stem: load_source(f) for f in files}
    sources = list(by_source)

    # The README: sources must not be added up without removing repeated texts first. TOTAL
    # counts a record only if no earlier source (in this order) holds the same text under the
    # same name and label; repeats within one source are distinct test cases and all count.
    first_source: dict[tuple, str] = {}
    in_total: dict[str, set[str]] = {}
    for src in sources:
        in_total[src] = set()
        for r in by_source[src]:
            key = (r.label, r.meta_path, r.text)
            if first_source.setdefault(key, src) == src:
                in_total[src].add(r.id)
    repeated = sum(len(by_source[s]) - len(in_total[s]) for s in sources)

    tmp = Path(tempfile.mkdtemp(prefix="keyhound-eval-")).resolve()
    (tmp / "cwd").mkdir()
    (tmp / "reports").mkdir()
    (tmp / "empty-keyhound.toml").write_text("")
    results: dict[str, dict[str, Score]] = {}
    fired: dict[str, dict[str, dict[str, set[str]]]] = {s.name: {} for s in scanners}
    unmapped: dict[str, list[str]] = {s.name: [] for s in scanners}
    timings: dict[str, float] = {s.name: 0.0 for s in scanners}
    failed = False
    started = time.monotonic()
    try:
        for src in sources:
            folder = tmp / "records" / src
            folder.mkdir(parents=True)
            by_dir = materialize(by_source[src], folder)
            results[src] = {}
            for s in scanners:
                t0 = time.monotonic()
                try:
                    locations = run_scan(s, folder, tmp, src)
                except ScanError as e:
                    failed = True
                    print(f"error: {s.name} on {src}: {e}", file=sys.stderr)
                    results[src][s.name] = Score(error=str(e))
                    continue
                finally:
                    timings[s.name] += time.monotonic() - t0
                hits: dict[str, set[str]] = {}
                for path, rule in locations:
                    d = record_dir_of(path, folder, by_dir, tmp / "cwd")
                    if d is None:
                        unmapped[s.name].append(f"{src}: {path}")
                    else:
                        hits.setdefault(d, set()).add(str(rule))
                fired[s.name][src] = hits
                results[src][s.name] = score(by_source[src], set(hits))
    finally:
        if args.keep:
            print(f"note: kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    elapsed = time.monotonic() - started

    # Totals, from the per-record outcomes so the repeated texts can be left out.
    total: dict[str, Score] = {}
    for s in scanners:
        t = Score()
        for src in sources:
            sc = results[src][s.name]
            if sc.error:
                t.error = "a source failed"
                continue
            missed, flagged = set(sc.missed_ids), set(sc.flagged_ids)
            for r in by_source[src]:
                if r.id not in in_total[src]:
                    continue
                if r.label == "positive":
                    t.positives += 1
                    t.found += r.id not in missed
                else:
                    t.negatives += 1
                    t.flagged += r.id in flagged
        total[s.name] = t
    counts = {src: (sum(r.label == "positive" for r in by_source[src]),
                    sum(r.label == "negative" for r in by_source[src])) for src in sources}
    total_counts = (sum(r.label == "positive" for src in sources for r in by_source[src]
                        if r.id in in_total[src]),
                    sum(r.label == "negative" for src in sources for r in by_source[src]
                        if r.id in in_total[src]))

    print(f"eval data: {eval_dir}")
    for s in scanners:
        extra = f"; {s.note}" if s.note else ""
        print(f"  {s.name}: {s.version} ({timings[s.name]:.1f}s{extra})")
    print()
    print_table(sources, counts, scanners, results, total, total_counts)
    print("\nrec% = positives found / positives; FP% = negatives flagged / negatives; "
          "prec% = found / (found + flagged).")
    if repeated:
        print(f"TOTAL leaves out {repeated} record(s) repeating an earlier source's text.")
    for name, paths in unmapped.items():
        if paths:
            print(f"warning: {name}: {len(paths)} finding location(s) outside any record file, "
                  f"e.g. {sorted(paths)[:3]}")

    if args.misses:
        print_misses(args.misses, sources, by_source, results, fired[args.misses])

    if args.json:
        doc = {
            "eval_dir": str(eval_dir),
            "elapsed_seconds": round(elapsed, 1),
            "scanners": {s.name: {"version": s.version, "seconds": round(timings[s.name], 1),
                                  "note": s.note} for s in scanners},
            "skipped_scanners": notes,
            "sources": {src: {s.name: results[src][s.name].as_json(with_ids=True)
                              for s in scanners} for src in sources},
            "total": {s.name: total[s.name].as_json() for s in scanners},
            "total_repeated_records_left_out": repeated,
        }
        Path(args.json).write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
