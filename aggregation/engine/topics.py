"""Topics: a space's statements grouped by meaning, named by their own distinctive words.

Input: the unit sentence embeddings of the profile's statements (rows in
statement-number order) and their texts. The statements are clustered with
Ward's hierarchical clustering on the embeddings (SciPy; for unit vectors
Euclidean distance orders pairs as cosine similarity does), cut into
`topic_count(n)` clusters: a handful, about sqrt(n / 2), between 2 and 8,
and none under MIN_STATEMENTS statements. Each topic is labelled by the words
that are frequent in it and rare in the others (class-based TF-IDF: the
word's count in the topic times log(1 + mean words per topic / its count in
all topics)), stop words left out. Everything is deterministic for equal
input: the clustering has no random start, and ties are broken by statement
number and alphabetical order.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.cluster.hierarchy import fcluster, linkage

MIN_STATEMENTS = 6
MAX_TOPICS = 8
LABEL_WORDS = 3

_WORD = re.compile(r"[a-z][a-z'-]+")
# Words that say nothing about a topic: function words and the modal
# vocabulary every value statement uses ("should", "must", "need").
_STOP = frozenset(
    ["a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "could", "did", "do", "does", "doing", "down", "during", "each", "even", "ever", "every", "few", "for", "from", "further", "get", "gets", "had", "has", "have", "having", "he", "her", "here", "hers", "him", "his", "how", "i", "if", "in", "into", "is", "it", "its", "itself", "just", "let", "lets", "like", "made", "make", "makes", "may", "me", "might", "more", "most", "much", "must", "my", "need", "needs", "no", "nor", "not", "now", "of", "off", "often", "on", "once", "one", "only", "or", "other", "ought", "our", "ours", "out", "over", "own", "people", "same", "shall", "she", "should", "so", "some", "such", "than", "that", "the", "their", "theirs", "them", "then", "there", "these", "they", "this", "those", "through", "to", "too", "under", "until", "up", "upon", "us", "very", "was", "we", "well", "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with", "within", "without", "would", "you", "your", "yours", "it's", "don't", "can't", "won't", "isn't", "aren't", "shouldn't", "should've", "we're", "they're", "let's"]
)  # fmt: skip


@dataclass(frozen=True)
class Topic:
    label: str
    words: tuple[str, ...]
    members: tuple[int, ...]  # row indices, ascending


def topic_count(n: int) -> int:
    """How many topics for n statements (0 below MIN_STATEMENTS: one topic says nothing)."""
    if n < MIN_STATEMENTS:
        return 0
    return max(2, min(MAX_TOPICS, round(math.sqrt(n / 2)), n // 3))


def _words(text: str) -> list[str]:
    out = []
    for word in _WORD.findall(text.lower().replace("\u2019", "'")):
        word = word.strip("'-")
        if len(word) > 2 and word not in _STOP:
            out.append(word)
    return out


def _labels(groups: list[list[str]]) -> list[tuple[str, ...]]:
    """The LABEL_WORDS most distinctive words of each group of texts (class-based TF-IDF)."""
    counts = [Counter(w for text in texts for w in _words(text)) for texts in groups]
    total: Counter[str] = Counter()
    for c in counts:
        total.update(c)
    mean_words = sum(total.values()) / max(len(groups), 1)
    labels = []
    for c in counts:
        scored = sorted(c, key=lambda w: (-c[w] * math.log(1 + mean_words / total[w]), w))
        labels.append(tuple(scored[:LABEL_WORDS]))
    return labels


def find_topics(vectors: NDArray[np.float32], texts: list[str]) -> list[Topic]:
    """Topics of the statements, largest first (ties: lowest member first)."""
    n = len(texts)
    k = topic_count(n)
    if k == 0:
        return []
    tree = linkage(np.asarray(vectors, dtype=np.float64), method="ward")
    assignment = fcluster(tree, t=k, criterion="maxclust")
    clusters: dict[int, list[int]] = {}
    for row, cluster in enumerate(assignment):
        clusters.setdefault(int(cluster), []).append(row)
    ordered = sorted(clusters.values(), key=lambda m: (-len(m), m[0]))
    labels = _labels([[texts[i] for i in members] for members in ordered])
    return [
        Topic(
            label=", ".join(words) if words else f"topic {i + 1}",
            words=words,
            members=tuple(members),
        )
        for i, (members, words) in enumerate(zip(ordered, labels, strict=True))
    ]
