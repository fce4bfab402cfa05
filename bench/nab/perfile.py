"""Per-file breakdown of a NAB results directory at the optimised (or a given) threshold.

  python3 bench/nab/perfile.py RESULTS_DIR [DETECTOR] [--profile standard] [--threshold T]
                               [--labels FILE] [--scorer FILE]

Uses the scorer's own functions (shared/nab/score.py: points, sweep, score_at). For each file:
windows detected / total, false-positive points (after probation) and the file's contribution to
the raw score, sorted by contribution (the files that lose most first).
"""
import importlib.util, json, os, sys

def arg(name, default=None):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default

resdir = sys.argv[1]
det = sys.argv[2] if len(sys.argv) > 2 and not sys.argv[2].startswith('--') else 'otel-health'
scorer = arg('--scorer', '/work/shared/nab/score.py')
spec = importlib.util.spec_from_file_location('score', scorer); S = importlib.util.module_from_spec(spec); spec.loader.exec_module(S)
labels = arg('--labels', os.path.join(os.path.dirname(scorer), 'labels/combined_windows.json'))
windows = json.load(open(labels))
cats = set(d for d in os.listdir(resdir) if os.path.isdir(os.path.join(resdir, d)))
windows = {k: v for k, v in windows.items() if k.split('/')[0] in cats}
prof = arg('--profile', 'standard'); tpw, fpw, fnw = S.PROFILES[prof]
files = S.load(resdir, det, windows)
allp = {rel: S.points(ts, sc, w, rel, tpw, fpw) for rel, (ts, sc, w) in files.items()}
thr = arg('--threshold')
thr = float(thr) if thr else max(S.sweep([p for v in allp.values() for p in v], fnw), key=lambda x: x[1])[0]
rows = []
for rel, pts in allp.items():
    det_ = [p for p in pts if p[0] >= thr]
    wins = set(p[2] for p in pts if p[2] is not None)
    hit = set(p[2] for p in det_ if p[2] is not None)
    fp = sum(1 for p in det_ if p[2] is None)
    rows.append((S.score_at(pts, fnw, thr), rel, len(hit), len(wins), fp))
rows.sort()
tot = sum(r[0] for r in rows)
print('profile %s thr %.4f raw %.3f' % (prof, thr, tot))
for s, rel, h, w, fp in rows:
    print('%8.3f  %d/%d  fp %3d  %s' % (s, h, w, fp, rel))
