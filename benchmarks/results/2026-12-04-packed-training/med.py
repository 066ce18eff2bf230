import re,sys,statistics as st,collections
def parse(f):
    d=collections.defaultdict(list)
    for line in open(f):
        m=re.match(r'\s*(\S.*?)\s{2,}(\d+)\s+([\d.]+)',line)
        if m and ('TrainStep' in m.group(1) or 'sum of' in m.group(1) or 'Predict' in m.group(1) or m.group(1).startswith('L')):
            d[(m.group(1).strip(),int(m.group(2)))].append(float(m.group(3)))
        m=re.match(r'\s*TrainStep batch (\d+): ([\d.]+) µs',line)
        if m: d[('FashionMlp TrainStep 1t',int(m.group(1)))].append(float(m.group(2)))
        m=re.match(r'\s*FashionMlp .* (\d+) thread',line)
        if m: cur=int(m.group(1))
        m=re.match(r'\s*Predict \(batch norm folded\) batch (\d+): ([\d.]+) µs; batch 1: ([\d.]+)',line)
        if m: d[('FashionMlp Predict',int(m.group(1)))].append(float(m.group(2))); d[('FashionMlp Predict',1)].append(float(m.group(3)))
    return d
a=parse(sys.argv[1]); b=parse(sys.argv[2])
for k in a:
    if k in b and len(a[k])>0:
        ma,mb=st.median(a[k]),st.median(b[k])
        print(f"{k[0]:32} {k[1]:5} {ma:10.1f} {mb:10.1f} {ma/mb:6.2f}x  (n={len(a[k])})")
