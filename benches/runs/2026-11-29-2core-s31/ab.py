import subprocess, sys, time, statistics, os
n = int(sys.argv[1]); cmds = [a.split('=', 1) for a in sys.argv[2:]]
res = {k: [] for k, _ in cmds}
for i in range(n):
    for k, c in (cmds if i % 2 == 0 else cmds[::-1]):
        t = time.perf_counter()
        p = subprocess.Popen(c, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, _, ru = os.wait4(p.pid, 0)
        res[k].append((time.perf_counter() - t, ru.ru_utime + ru.ru_stime, ru.ru_maxrss))
for k, v in res.items():
    w = sorted(x[0] for x in v); c = sorted(x[1] for x in v)
    print(f"{k:8s} wall median {statistics.median(w)*1000:7.1f} ms (min {w[0]*1000:7.1f})  cpu median {statistics.median(c)*1000:7.1f} ms (min {c[0]*1000:7.1f})  maxrss {statistics.median(x[2] for x in v)/1024:.0f} MB  n={len(v)}")
