"""Session 39 diagnosis (docs/RESULTS.md, "Session 39: features whose DP bounds found no data"): how
much of a physionet2012 release's logistic regression comes from the features whose DP bounds fell
back to [0, 1]?

For each release (CSV) and the statistics its run released (`--statistics`), scikit-learn's
imputer → scaler → logistic regression is trained on the release as written, and again with every
fallback column (numeric, bounds exactly [0, 1], not a 0/1 indicator) set to its mean; both are
scored on the fixed test split. Information only.

    node dist/cli/main.js condense --dataset physionet2012 --rows 20 --epsilon 1 --seed 273 \
      --out p273.csv --statistics p273.stats.json
    /usr/bin/python3 tools/screens/unlocated_columns.py p273.csv p273.stats.json   (more pairs may follow)
"""
import os, sys, json, numpy as np, pandas as pd
from sklearn.pipeline import make_pipeline
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import StandardScaler
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

SHARED = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'shared')
D = os.path.join(SHARED, 'datasets'); name = 'physionet2012'
df = pd.read_csv(f'{D}/{name}.csv'); card = json.load(open(f'{D}/{name}.json'))
test = df.iloc[np.array(json.load(open(f'{D}/{name}.split.json'))['test'])]
label = card['label']; features = [f['name'] for f in card['features']]
y_test = (test[label].astype(str) == '1').astype(int)
indicators = {f['name'] for f in card['features'] if set(df[f['name']].dropna().unique()) <= {0, 1}}

def logistic_auroc(table):
    y = (table[label].astype(str) == '1').astype(int)
    model = make_pipeline(SimpleImputer(), StandardScaler(), LogisticRegression(max_iter=5000)).fit(table[features], y)
    return roc_auc_score(y_test, model.predict_proba(test[features])[:, 1])

args = sys.argv[1:]
for csv, stats in zip(args[0::2], args[1::2]):
    release = pd.read_csv(csv)
    fallback = [f['name'] for f in json.load(open(stats))['features'] if f.get('bounds') == [0, 1] and f['name'] not in indicators]
    constant = release.copy()
    for column in fallback: constant[column] = release[column].mean()
    print(f'{csv}: {len(fallback)} fallback features; logistic {logistic_auroc(release):.3f} as released, {logistic_auroc(constant):.3f} with them constant')
