"""The screens' common start: a bundled classification dataset's fixed split, designed as
`independent_check.py` designs it (numeric features scaled by card bounds or the training range,
categories one-hot), with 0/1 labels. Needs ../shared beside the project."""
import os, sys, json, numpy as np, pandas as pd

SHARED = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'shared')
sys.path.insert(0, os.path.join(SHARED, 'tools'))
from independent_check import design


def bundled_split(name):
    """(X_train, y_train, X_test, y_test) of a bundled classification dataset's fixed split."""
    folder = os.path.join(SHARED, 'datasets')
    df = pd.read_csv(f'{folder}/{name}.csv'); card = json.load(open(f'{folder}/{name}.json'))
    test = np.array(json.load(open(f'{folder}/{name}.split.json'))['test']); train = np.setdiff1d(np.arange(len(df)), test)
    ref = df.iloc[train]
    labels = (df[card['label']].astype(str).values == str(card.get('positive', 1))).astype(int)
    return design(ref, card, ref), labels[train], design(df.iloc[test], card, ref), labels[test]
