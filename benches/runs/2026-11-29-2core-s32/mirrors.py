import json,subprocess,sys,os,collections
old,new=sys.argv[1],sys.argv[2]
root=os.environ.get('MIRRORS', '/work/.mirror')  # a folder of mirrors (or symlinks to them) to diff
tot=collections.Counter()
out=open(sys.argv[3],'w')
def scan(b,d):
    p=subprocess.run([b,'scan',d,'--format','json','--no-progress','--show-secrets'],capture_output=True)
    try: r=json.loads(p.stdout)
    except Exception: return None
    s={}
    for f in r['findings']:
        for l in f['locations']:
            s[(l.get('path'),l['line'],(l.get('commit') or l.get('blob') or '')[:8])]=f['rule']['id']
    return s
for name in sorted(os.listdir(root)):
    if name in ('git+git',): continue
    d=os.path.join(root,name,'repo')
    if not os.path.isdir(d): d=os.path.join(root,name)
    a=scan(old,d); b=scan(new,d)
    if a is None or b is None: out.write(f'{name} ERROR\n'); continue
    lost=set(a)-set(b); added=set(b)-set(a); changed=[k for k in set(a)&set(b) if a[k]!=b[k]]
    tot['a']+=len(a); tot['b']+=len(b); tot['lost']+=len(lost); tot['added']+=len(added); tot['rule_changed']+=len(changed)
    if lost or added:
        out.write(f'{name} added {len(added)} lost {len(lost)} rule-changed {len(changed)}\n')
        for k in sorted(added): out.write(f'   + {b[k]} {k}\n')
        for k in sorted(lost): out.write(f'   - {a[k]} {k}\n')
    out.flush()
out.write(str(tot)+'\n')
