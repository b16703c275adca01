"""Session 38 screen (docs/RESULTS.md, "Session 38: cross-class twins"): does a tree on 20 rows gain
from a pair of rows with the same features and opposite labels (a leaf that predicts 1/2)?

100 random balanced 20-row subsets of a bundled dataset's training split; in each, the k class-0
rows a full-data logistic model finds most like class 1 are paired with the k class-1 rows it finds
most like class 0, and each pair is moved to its midpoint: tied (t_k) or 2 % apart, so that the tree
can still split them (s_k). The same on k-means prototypes (km, km_k, kms_k). CART of depth D
(default 5), AUROC on the fixed test split. Information only: the full-data model is not private.

    /usr/bin/python3 tools/screens/twins_subsets.py pima [D]      (scikit-learn, pandas; ../shared beside the project)
"""
import os, sys, numpy as np
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bundled_split import bundled_split
from sklearn.tree import DecisionTreeClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.cluster import KMeans
name=sys.argv[1]; depth=int(sys.argv[2]) if len(sys.argv)>2 else 5
Xtr,ytr,Xte,yte=bundled_split(name)
mu=Xtr.mean(0); sd=Xtr.std(0)+1e-9
oracle=LogisticRegression(max_iter=5000).fit((Xtr-mu)/sd,ytr)
def P(X): return oracle.predict_proba((X-mu)/sd)[:,1]
def cart(X,y,s): return roc_auc_score(yte, DecisionTreeClassifier(max_depth=depth,random_state=s).fit(X,y).predict_proba(Xte)[:,1])
def twin(X,y,k,eps=0.0):
    X=X.copy(); p=P(X)
    i0=np.where(y==0)[0][np.argsort(-p[y==0])][:k]; i1=np.where(y==1)[0][np.argsort(p[y==1])][:k]
    for a,b in zip(i0,i1):
        m=(X[a]+X[b])/2; dlt=eps*(X[a]-X[b]); X[a]=m+dlt; X[b]=m-dlt
    return X
rng=np.random.default_rng(0)
res={k:[] for k in ['base','t1','t2','t3','s1','s2','s3','km','km1','km2','kms2']}
for s in range(100):
    idx=np.concatenate([rng.choice(np.where(ytr==c)[0],10,replace=False) for c in (0,1)])
    X,y=Xtr[idx],ytr[idx]
    res['base'].append(cart(X,y,s))
    for k in (1,2,3): res[f't{k}'].append(cart(twin(X,y,k),y,s)); res[f's{k}'].append(cart(twin(X,y,k,0.02),y,s))
    if s<30:
        C=np.vstack([KMeans(10,n_init=3,random_state=s).fit(Xtr[ytr==c]).cluster_centers_ for c in (0,1)]); yc=np.repeat([0,1],10)
        res['km'].append(cart(C,yc,s)); res['km1'].append(cart(twin(C,yc,1),yc,s)); res['km2'].append(cart(twin(C,yc,2),yc,s)); res['kms2'].append(cart(twin(C,yc,2,0.02),yc,s))
print(name, {k:(round(np.mean(v),4),round(np.std(v),4)) for k,v in res.items()})
print('full', roc_auc_score(yte, DecisionTreeClassifier(max_depth=depth,random_state=0).fit(Xtr,ytr).predict_proba(Xte)[:,1]))
