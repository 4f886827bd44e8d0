#!/usr/bin/env python3
"""Re-score keyhound on the labelled real-code sets in labels/.

    benches/realcode/score.py [--keyhound BIN] [--worktrees DIR] [--sets BK,BL] [--lost] [--gained] [--missed]

Each set is three files in labels/: <SET>.repos.tsv (owner/name and the commit that was
labelled), <SET>.jsonl (one row per keyhound finding location: path, line, rule, label tp|fp,
class, reason) and <SET>.competitor.jsonl (lines only Kingfisher or gitleaks reported, labelled
the same way; the tp ones were keyhound's misses). See README.md.

The repositories are not in this project: each must be exported (files only, no .git) at its
commit to WORKTREES/<owner>+<name>. Missing ones are listed and skipped.

For every set this prints the rows, their precision as labelled, and for BIN: the labelled rows
it still reports (a row counts as kept when BIN reports anything on its path and line), their
precision, tp rows lost, and competitor-only tp rows it now finds. New findings on unlabelled
lines are not counted; compare two binaries' outputs for those.
"""
import argparse, collections, json, os, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--keyhound', default=os.path.join(HERE, '..', '..', 'target', 'release', 'keyhound'))
    ap.add_argument('--worktrees', default=os.environ.get('REALCODE_WT', '/work/sweeps/wt'))
    ap.add_argument('--labels', default=os.path.join(HERE, 'labels'))
    ap.add_argument('--sets', default='')
    ap.add_argument('--lost', action='store_true', help='list the tp rows BIN no longer reports')
    ap.add_argument('--gained', action='store_true', help='list the competitor-only tp rows BIN finds')
    ap.add_argument('--missed', action='store_true', help='list the competitor-only tp rows BIN still misses')
    ap.add_argument('--kept-fp', action='store_true', help='list the fp rows BIN still reports')
    a = ap.parse_args()
    sets = sorted(f[:-len('.repos.tsv')] for f in os.listdir(a.labels) if f.endswith('.repos.tsv'))
    if a.sets:
        sets = [s for s in sets if s in a.sets.split(',')]
    if not os.path.exists(a.keyhound):
        sys.exit(f'no keyhound binary at {a.keyhound}: cargo build --release, or pass --keyhound')
    cache = {}
    def scan(repo):
        if repo in cache:
            return cache[repo]
        wt = os.path.join(a.worktrees, repo.replace('/', '+'))
        if not os.path.isdir(wt):
            cache[repo] = None
            return None
        with tempfile.TemporaryFile() as out:
            subprocess.run([a.keyhound, 'scan', wt, '--no-history', '--format', 'json'],
                           stdout=out, stderr=subprocess.DEVNULL)
            out.seek(0)
            report = json.load(out)
        locs = set()
        for f in report['findings']:
            for l in f['locations']:
                p = l['path']
                if p.startswith(wt):
                    p = p[len(wt):].lstrip('/')
                locs.add((p, l['line']))
        cache[repo] = locs
        return locs
    total = collections.Counter()
    missing = set()
    for s in sets:
        c = collections.Counter()
        def rows(name):
            path = os.path.join(a.labels, name)
            if not os.path.exists(path):
                return []
            return [json.loads(l) for l in open(path) if l.strip()]
        for r in rows(f'{s}.jsonl'):
            locs = scan(r['repo'])
            if locs is None:
                missing.add(r['repo']); c['skipped'] += 1
                continue
            c['rows'] += 1; c[r['label']] += 1
            if (r['path'], r['line']) in locs:
                c['kept'] += 1; c['kept_' + r['label']] += 1
                if r['label'] == 'fp' and a.kept_fp:
                    print(f"  kept-fp {s} {r['repo']} {r['path']}:{r['line']} {r['rule']} ({r.get('class', '')})")
            elif r['label'] == 'tp' and a.lost:
                print(f"  lost {s} {r['repo']} {r['path']}:{r['line']} {r['rule']} ({r.get('class', '')})")
        for r in rows(f'{s}.competitor.jsonl'):
            if r.get('label') != 'tp':
                continue
            locs = scan(r['repo'])
            if locs is None:
                continue
            c['miss'] += 1
            if (r['path'], r['line']) in locs:
                c['found'] += 1
                if a.gained:
                    print(f"  found {s} {r['repo']} {r['path']}:{r['line']} ({r.get('class', '')})")
            elif a.missed:
                print(f"  missed {s} {r['repo']} {r['path']}:{r['line']} {r.get('rule', '')} ({r.get('class', '')})")
        report(s, c)
        total.update(c)
    report('ALL', total)
    for m in sorted(missing):
        print(f'missing worktree: {m} (export it at its commit to {a.worktrees}/{m.replace("/", "+")})')

def report(name, c):
    labelled = 100 * c['tp'] / max(1, c['tp'] + c['fp'])
    kept = 100 * c['kept_tp'] / max(1, c['kept'])
    print(f"{name:4} rows {c['rows']:5} (tp {c['tp']}, fp {c['fp']}) precision as labelled {labelled:5.1f}%"
          f" | kept {c['kept']:5} (tp {c['kept_tp']}, fp {c['kept_fp']}) precision {kept:5.1f}%"
          f", tp lost {c['tp'] - c['kept_tp']}, misses found {c['found']}/{c['miss']}"
          + (f", skipped {c['skipped']}" if c['skipped'] else ''))

if __name__ == '__main__':
    main()
