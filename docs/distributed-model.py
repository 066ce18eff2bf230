# The alpha-beta ring-allreduce model of docs/distributed.md: fit to the 2-rank loopback medians, projection to links.
import numpy as np
sizes=np.array([1,1024,16384,65536,235914,1048576])*4.0
t=np.array([0.5,2.8,10.1,30.2,98.5,498.9])*1e-6
# fit T = a + b*S with weights 1/T (relative error)
w=1/t
A=np.vstack([np.ones_like(sizes),sizes]).T*w[:,None]
a,b=np.linalg.lstsq(A,t*w,rcond=None)[0]
print("fit p=2 loopback: a=%.3g us (alpha=a/2=%.3g us), b=%.4g ns/B (%.2f GB/s)"%(a*1e6,a/2*1e6,b*1e9,1/b/1e9))
for s,tt in zip(sizes,t): print("  %9d B measured %.1f us model %.1f us"%(s,tt*1e6,(a+b*s)*1e6))
gamma=b  # per-byte reduce+copy cost on one core (loopback), charged (p-1)/p*S
trow_small=8.72e-6
models={"FashionMlp (235,914 params)":(235914,trow_small),"MLP 10M params":(10_000_000,trow_small*10e6/235914)}
links={"10 Gb/s":(10e9,10e-6),"25 Gb/s":(25e9,10e-6),"100 Gb/s":(100e9,3e-6)}
for name,(P,trow) in models.items():
    S=4*P
    print("\n%s: %.0f µs/row compute"%(name,trow*1e6))
    print("| link | p | allreduce ms | step ms at B=128 | efficiency at B=128 | B/rank for >=80%% |")
    for ln,(bw,alpha) in links.items():
        for p in [2,4,8,16,32,64]:
            T=2*(p-1)*alpha+2*(p-1)/p*S*8/bw+(p-1)/p*S*gamma
            comp=128*trow
            E=comp/(comp+T)
            Bmin=int(np.ceil(4*T/trow))
            print("| %s | %d | %.3f | %.2f | %.0f %% | %d |"%(ln,p,T*1e3,(comp+T)*1e3,E*100,Bmin))
