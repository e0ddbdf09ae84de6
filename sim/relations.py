"""Pairwise relations between members: trust (directed) and interoperability (symmetric)."""

from __future__ import annotations

import numpy as np

from sim.config import RelationsConfig


class Relations:
    """Trust ``trust[i, j]`` (i's trust in j) and interoperability, each in [0, 1].

    All updates go through the methods below, which keep every value in [0, 1]: gains close
    a share of the gap to 1, losses subtract and clip at 0 (trust is slow to build and quick
    to lose).
    """

    def __init__(self, config: RelationsConfig, names: list[str]):
        n = len(names)
        self.names = names
        self.trust = np.full((n, n), config.initial_trust)
        self.interoperability = np.full((n, n), config.initial_interoperability)
        index = {name: i for i, name in enumerate(names)}
        for pair in config.pairs:
            i, j = index[pair.between[0]], index[pair.between[1]]
            if pair.trust is not None:
                self.trust[i, j] = self.trust[j, i] = pair.trust
            if pair.interoperability is not None:
                self.interoperability[i, j] = self.interoperability[j, i] = pair.interoperability
        np.fill_diagonal(self.trust, 1.0)
        np.fill_diagonal(self.interoperability, 1.0)

    def gain_trust(self, i: int, j: int, share: float) -> None:
        """I's trust in j closes ``share`` of its gap to 1."""
        if i != j:
            self.trust[i, j] += share * (1.0 - self.trust[i, j])

    def lose_trust(self, i: int, j: int, amount: float) -> None:
        """I's trust in j falls by ``amount`` (not below 0)."""
        if i != j:
            self.trust[i, j] = max(0.0, self.trust[i, j] - amount)

    def lose_trust_of(self, observers: np.ndarray, j: int, amount: float) -> None:
        """Every observer's trust in j falls by ``amount`` (not below 0): a reputation lost
        before all of them at once (``observers``: their indices; j itself is left out)."""
        idx = observers[observers != j]
        self.trust[idx, j] = np.maximum(0.0, self.trust[idx, j] - amount)

    def gain_among(self, members: list[int], trust_share: float, interop_share: float) -> None:
        """Every pair among ``members`` gains trust and interoperability (exercises)."""
        if len(members) < 2:
            return
        idx = np.ix_(members, members)
        self.trust[idx] += trust_share * (1.0 - self.trust[idx])
        self.interoperability[idx] += interop_share * (1.0 - self.interoperability[idx])
        np.fill_diagonal(self.trust, 1.0)
        np.fill_diagonal(self.interoperability, 1.0)

    def trust_in_group(self, mask: np.ndarray) -> np.ndarray:
        """Each state's mean trust in the members selected by ``mask``, itself excluded
        (NaN where there is no other member)."""
        others = mask.sum() - mask  # how many selected members besides oneself
        total = self.trust[:, mask].sum(axis=1) - np.where(mask, 1.0, 0.0)  # drop self-trust
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(others > 0, total / np.maximum(others, 1), np.nan)

    def reset_trust(self, i: int, value: float) -> None:
        """State i's trust in every other state, and theirs in it, set to ``value``."""
        self.trust[i, :] = value
        self.trust[:, i] = value
        self.trust[i, i] = 1.0

    def trusted_by_group(self, mask: np.ndarray) -> np.ndarray:
        """Each state's mean trust received from the members selected by ``mask``, itself
        excluded (NaN where there is no other member)."""
        others = mask.sum() - mask
        total = self.trust[mask, :].sum(axis=0) - np.where(mask, 1.0, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(others > 0, total / np.maximum(others, 1), np.nan)

    def mean_off_diagonal(self, matrix: np.ndarray, mask: np.ndarray) -> float:
        """Mean of a relation over ordered pairs of distinct members selected by ``mask``."""
        n = int(np.count_nonzero(mask))
        if n < 2:
            return float("nan")
        sub = matrix if n == len(mask) else matrix[np.ix_(mask, mask)]
        return float((sub.sum() - sub.trace()) / (n * (n - 1)))
