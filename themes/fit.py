"""The numeric learning, run as a program of its own (`python -m themes.fit`), never imported by
Django: it reads one job as JSON on stdin and writes the result as JSON on stdout.

It runs apart because scikit-learn, SciPy and NumPy take ~80 MB of memory once imported, and a
Celery worker process keeps what it imported for the rest of its life: the nightly jobs would
otherwise leave every worker process that ran one that much bigger. Here the memory goes back to
the system when the job ends. The caller (themes.learning) passes documents already turned into
stems (themes.text), so this program knows nothing of languages or the database.

Jobs:
- {"job": "topics", "documents": [[stem, …], …], "topics": k}
  TF-IDF over the stems, then NMF with k components. Per topic: its top stems (by weight), the
  documents whose strongest topic it is, and those documents by weight (most typical first).
- {"job": "classifier", "documents": [[stem, …], …], "labels": [[label, …], …], "folds": 5}
  A linear classifier (one-vs-rest logistic regression) on TF-IDF features. Cross-validated
  precision at 1 and at 3 (and the same for always suggesting the most frequent labels, the
  baseline), then the model fitted on everything, as plain numbers: vocabulary, idf, per label
  the weights and intercept.
"""

import json
import sys
import warnings

import numpy as np
from sklearn.decomposition import NMF
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold
from sklearn.multiclass import OneVsRestClassifier
from sklearn.preprocessing import MultiLabelBinarizer

MAX_FEATURES = 5000


def _identity(document):
    return document


def _vectorizer(**options) -> TfidfVectorizer:
    return TfidfVectorizer(analyzer=_identity, max_features=MAX_FEATURES, **options)


def topics(documents: list[list[str]], k: int) -> dict:
    vectorizer = _vectorizer(min_df=2, max_df=0.5)
    matrix = vectorizer.fit_transform(documents)
    k = max(1, min(k, matrix.shape[0] - 1, matrix.shape[1] - 1))
    model = NMF(n_components=k, init="nndsvda", random_state=0, max_iter=400)
    weights = model.fit_transform(matrix)
    terms = vectorizer.get_feature_names_out()
    strongest = weights.argmax(axis=1)
    result = []
    for topic in range(k):
        order = np.argsort(model.components_[topic])[::-1][:10]
        members = [int(i) for i in np.where((strongest == topic) & (weights[:, topic] > 0))[0]]
        members.sort(key=lambda i: -weights[i, topic])
        result.append(
            {
                "terms": [str(terms[i]) for i in order if model.components_[topic][i] > 0],
                "members": members,
            }
        )
    return {"topics": result}


def _ranked(scores: np.ndarray) -> np.ndarray:
    return np.argsort(-scores, axis=1)


def _precision(ranked: np.ndarray, truth: np.ndarray, at: int) -> tuple[float, float]:
    """(precision@at, share of documents with a right label among the first `at`)."""
    top = ranked[:, :at]
    hits = np.take_along_axis(truth, top, axis=1)
    return float(hits.sum() / (len(truth) * at)), float((hits.sum(axis=1) > 0).mean())


def _classifier() -> OneVsRestClassifier:
    return OneVsRestClassifier(LogisticRegression(C=10.0, max_iter=1000, class_weight="balanced"))


def classifier(documents: list[list[str]], labels: list[list[str]], folds: int) -> dict:
    binarizer = MultiLabelBinarizer()
    truth = binarizer.fit_transform(labels)
    classes = [str(c) for c in binarizer.classes_]
    scores = {"p1": [], "p3": [], "hit3": [], "baseline_p1": [], "baseline_p3": []}
    at3 = min(3, len(classes))
    for train, test in KFold(n_splits=folds, shuffle=True, random_state=0).split(documents):
        fold_truth = truth[train]
        usable = (fold_truth.sum(axis=0) > 0) & (fold_truth.sum(axis=0) < len(train))
        if usable.sum() < 2:
            continue
        vectorizer = _vectorizer(sublinear_tf=True)
        features = vectorizer.fit_transform([documents[i] for i in train])
        model = _classifier().fit(features, fold_truth[:, usable])
        decision = np.full((len(test), len(classes)), -np.inf)
        decision[:, usable] = model.decision_function(vectorizer.transform([documents[i] for i in test]))
        ranked = _ranked(decision)
        baseline = np.tile(np.argsort(-fold_truth.sum(axis=0)), (len(test), 1))
        p1, _hit1 = _precision(ranked, truth[test], 1)
        p3, hit3 = _precision(ranked, truth[test], at3)
        b1, _ = _precision(baseline, truth[test], 1)
        b3, _ = _precision(baseline, truth[test], at3)
        for name, value in (("p1", p1), ("p3", p3), ("hit3", hit3), ("baseline_p1", b1), ("baseline_p3", b3)):
            scores[name].append(value)
    metrics = {name: (sum(values) / len(values) if values else None) for name, values in scores.items()}
    vectorizer = _vectorizer(sublinear_tf=True)
    features = vectorizer.fit_transform(documents)
    model = _classifier().fit(features, truth)
    coef = np.vstack([estimator.coef_[0] for estimator in model.estimators_])
    intercept = [float(estimator.intercept_[0]) for estimator in model.estimators_]
    vocabulary = vectorizer.get_feature_names_out()
    weights = {
        str(term): [round(float(w), 5) for w in coef[:, i]]
        for i, term in enumerate(vocabulary)
        if np.abs(coef[:, i]).max() > 1e-4
    }
    return {
        "metrics": metrics,
        "model": {
            "classes": classes,
            "idf": {str(term): round(float(vectorizer.idf_[i]), 5) for i, term in enumerate(vocabulary)},
            "weights": weights,
            "intercept": intercept,
        },
    }


def run(job: dict) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if job["job"] == "topics":
            return topics(job["documents"], int(job["topics"]))
        if job["job"] == "classifier":
            return classifier(job["documents"], job["labels"], int(job.get("folds", 5)))
    raise ValueError(f"unknown job {job['job']!r}")


if __name__ == "__main__":
    json.dump(run(json.load(sys.stdin)), sys.stdout)
