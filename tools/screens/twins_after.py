"""Session 38 screen (docs/RESULTS.md, "Session 38: cross-class twins"): tying cross-class pairs
AFTER a condensation, as post-processing of its released table (amb_k: the k class-0 and class-1 rows
the table's own logistic model finds most ambiguous; near_k: the k closest cross-class pairs), then
CART (depth 4 and 5), logistic regression and a 100-tree forest on the fixed test split.

The tables are releases made with the CLI before twins were the default, e.g.
    for s in 1 2 3 4 5 6 7 8 9 10; do node dist/cli/main.js condense --dataset pima --rows 20 --epsilon 3 \
      --twins 0 --seed $s --out tabs/pima-e3-s$s.csv --force; done
    /usr/bin/python3 tools/screens/twins_after.py pima 3      (reads tabs/pima-e3-s*.csv)
"""
import os, sys, json, glob, numpy as np, pandas as pd, warnings
warnings.filterwarnings('ignore')
SHARED=os.path.join(os.path.dirname(os.path.abspath(__file__)),'..','..','..','shared')
sys.path.insert(0, os.path.join(SHARED,'tools'))
from independent_check import design
from sklearn.tree import DecisionTreeClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import roc_auc_score
D=os.path.join(SHARED,'datasets'); name=sys.argv[1]; eps=sys.argv[2]
df=pd.read_csv(f'{D}/{name}.csv'); card=json.load(open(f'{D}/{name}.json'))
test=np.array(json.load(open(f'{D}/{name}.split.json'))['test']); tr=np.setdiff1d(np.arange(len(df)),test)
ref=df.iloc[tr]; Xte=design(df.iloc[test],card,ref)
lab=card['label']; pos=str(card.get('positive',1)); yte=(df[lab].astype(str).values[test]==pos).astype(int)
def scores(X,y):
    out={}
    for dep in (4,5): out[f'cart{dep}']=np.mean([roc_auc_score(yte,DecisionTreeClassifier(max_depth=dep,random_state=s).fit(X,y).predict_proba(Xte)[:,1]) for s in range(3)])
    out['lr']=roc_auc_score(yte,LogisticRegression(max_iter=5000).fit(X,y).predict_proba(Xte)[:,1])
    out['rf']=roc_auc_score(yte,RandomForestClassifier(n_estimators=100,random_state=0,n_jobs=1).fit(X,y).predict_proba(Xte)[:,1])
    return out
def pairs_amb(Z,y,k):
    p=LogisticRegression(max_iter=5000).fit(Z,y).decision_function(Z)
    i0=np.where(y==0)[0][np.argsort(-p[y==0])][:k]; i1=np.where(y==1)[0][np.argsort(p[y==1])][:k]
    return list(zip(i0,i1))
def pairs_near(Z,y,k):
    D2=((Z[:,None,:]-Z[None,:,:])**2).sum(-1); used=set(); out=[]
    c=[(D2[a,b],a,b) for a in np.where(y==0)[0] for b in np.where(y==1)[0]]; c.sort()
    for _,a,b in c:
        if a in used or b in used: continue
        out.append((a,b)); used|={a,b}
        if len(out)==k: break
    return out
def twin(X,pairs):
    X=X.copy()
    for a,b in pairs: m=(X[a]+X[b])/2; X[a]=m; X[b]=m
    return X
R={}
for f in sorted(glob.glob(f'tabs/{name}-e{eps}-s*.csv')):
    syn=pd.read_csv(f); X=design(syn,card,ref); y=(syn[lab].astype(str).values==pos).astype(int)
    mu=X.mean(0); sd=X.std(0)+1e-9; Z=(X-mu)/sd
    variants={'base':X}
    for k in (1,2,3):
        variants[f'amb{k}']=twin(X,pairs_amb(Z,y,k)); variants[f'near{k}']=twin(X,pairs_near(Z,y,k))
    for v,XX in variants.items():
        for l,s in scores(XX,y).items(): R.setdefault((v,l),[]).append(s)
ls=['cart4','cart5','lr','rf']
print(name,'eps',eps)
for v in ['base','amb1','amb2','amb3','near1','near2','near3']:
    print(f'{v:6s}',' '.join(f'{l} {np.mean(R[(v,l)]):.3f}±{np.std(R[(v,l)]):.3f} (min {np.min(R[(v,l)]):.3f})' for l in ls))
