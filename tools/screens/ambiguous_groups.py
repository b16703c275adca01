"""Session 39 screen (docs/RESULTS.md, "Session 39 (screen): triplets"): does a tree on 20 rows gain
from more score levels than the twins' 1/2?

200 random balanced 20-row subsets of a bundled dataset's training split. In each, groups of rows
are moved to their mean: a group of a class-0 and b class-1 rows, taken in turn from the class-0
rows a full-data logistic model finds most like class 1 and the class-1 rows it finds most like
class 0, gives the tree a leaf of b / (a + b). Variants: two twins (session 38's default), three
twins, a 2:1 and a 1:2 triplet, a twin with both triplets, two 3:1 groups, two twins with both
triplets. CART of depth 5, AUROC on the fixed test split; each variant's mean, and its mean
difference from two twins with that difference's standard error. Information only: the full-data
model is not private.

    /usr/bin/python3 tools/screens/ambiguous_groups.py pima      (scikit-learn, pandas; ../shared beside the project)
"""
import os, sys, numpy as np
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bundled_split import bundled_split
from sklearn.tree import DecisionTreeClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

name = sys.argv[1]
Xtr, ytr, Xte, yte = bundled_split(name)
mu = Xtr.mean(0); sd = Xtr.std(0) + 1e-9
oracle = LogisticRegression(max_iter=5000).fit((Xtr - mu) / sd, ytr)

def cart_auroc(X, y, seed):
    tree = DecisionTreeClassifier(max_depth=5, random_state=seed).fit(X, y)
    return roc_auc_score(yte, tree.predict_proba(Xte)[:, 1])

def grouped(X, y, groups):
    """Each (a, b) in `groups`: the next a most class-1-like class-0 rows and b most class-0-like class-1 rows, at their mean."""
    X = X.copy(); p = oracle.predict_proba((X - mu) / sd)[:, 1]
    zeros = list(np.where(y == 0)[0][np.argsort(-p[y == 0])]); ones = list(np.where(y == 1)[0][np.argsort(p[y == 1])])
    for a, b in groups:
        rows = [zeros.pop(0) for _ in range(a)] + [ones.pop(0) for _ in range(b)]
        X[rows] = X[rows].mean(0)
    return X

VARIANTS = {'none': [], 'two twins': [(1, 1)] * 2, 'three twins': [(1, 1)] * 3, 'two triplets': [(2, 1), (1, 2)],
            'twin + two triplets': [(1, 1), (2, 1), (1, 2)], 'two 3:1 groups': [(3, 1), (1, 3)],
            'two twins + two triplets': [(1, 1), (1, 1), (2, 1), (1, 2)]}
rng = np.random.default_rng(0); scores = {k: [] for k in VARIANTS}
for s in range(200):
    idx = np.concatenate([rng.choice(np.where(ytr == c)[0], 10, replace=False) for c in (0, 1)])
    for k, groups in VARIANTS.items(): scores[k].append(cart_auroc(grouped(Xtr[idx], ytr[idx], groups), ytr[idx], s))
base = np.array(scores['two twins'])
for k, v in scores.items():
    diff = np.array(v) - base
    print(f'{name} {k:26s} {np.mean(v):.4f}  vs two twins {np.mean(diff):+.4f} ± {np.std(diff) / np.sqrt(len(v)):.4f}')
