"""The hot path: agreement decisions memoised over the finite space of (purpose, categories, recipient).

An agreement's answer depends only on that triple, so once Cedar has answered it the answer is a dict
lookup (well under a microsecond). Consent is never cached: it is checked on every call from the grant the
caller passes, so a revoked grant refuses the very next request.

Invalidation: ``reload(agreement)`` swaps in a new decider and a new, empty cache in one assignment and
bumps ``generation``; a lookup racing a reload finishes against the old state and never writes a stale
answer into the new cache. ``refresh()`` reloads from the agreement's file when its content changed.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sarraf.domain.disclosure import Decision, DisclosureRequest
from sarraf.policy import vocabulary
from sarraf.policy.agreement import Agreement, load_agreement
from sarraf.policy.consent_grant import ConsentGrant
from sarraf.policy.decisions import CedarDecider, combine

DEFAULT_MAX_ENTRIES = 65_536  # bounds memory if callers ever pass unbounded, unknown keys

_Key = tuple[str, tuple[str, ...], str]


@dataclass(slots=True)
class _State:
    decider: CedarDecider
    generation: int
    by_request: dict[_Key, Decision] = field(default_factory=dict)
    by_category: dict[tuple[str, str, str], Decision] = field(default_factory=dict)


class CachedDecider:
    def __init__(self, agreement: Agreement, *, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        self._max_entries = max_entries
        self._state = _State(CedarDecider(agreement), generation=1)

    @classmethod
    def from_path(cls, path: Path | str, *, max_entries: int = DEFAULT_MAX_ENTRIES) -> CachedDecider:
        return cls(load_agreement(path), max_entries=max_entries)

    @property
    def agreement(self) -> Agreement:
        return self._state.decider.agreement

    @property
    def generation(self) -> int:
        return self._state.generation

    @property
    def size(self) -> int:
        """How many whole-request answers are cached."""
        return len(self._state.by_request)

    def decide(self, request: DisclosureRequest, grant: ConsentGrant) -> Decision:
        decision = self._state.by_request.get((request.purpose, request.categories, request.recipient))
        if decision is None:
            decision = self._compute(self._state, request.purpose, request.categories, request.recipient)
        if not decision.allowed:
            return decision
        refusal = grant.refusal(request)
        return decision if refusal is None else refusal

    def reload(self, agreement: Agreement) -> None:
        self._state = _State(CedarDecider(agreement), generation=self._state.generation + 1)

    def refresh(self) -> bool:
        """Reload from the agreement's file if its content changed; True when it did.

        A file that no longer passes lint raises AgreementError and the agreement in use stays in force.
        """
        fresh = load_agreement(self.agreement.origin)
        if fresh.digest == self.agreement.digest:
            return False
        self.reload(fresh)
        return True

    def warm(self) -> int:
        """Ask Cedar about every known (purpose, single category, recipient) now rather than on first use."""
        state = self._state
        keys = itertools.product(vocabulary.PURPOSES, vocabulary.CATEGORIES, vocabulary.RECIPIENTS)
        for purpose, category, recipient in keys:
            self._compute(state, purpose, (category,), recipient)
        return self.size

    def _compute(self, state: _State, purpose: str, categories: tuple[str, ...], recipient: str) -> Decision:
        per_category = []
        for category in categories:
            key = (purpose, category, recipient)
            decision = state.by_category.get(key)
            if decision is None:
                decision = state.decider.decide_category(purpose, category, recipient)
                self._remember(state.by_category, key, decision)
            per_category.append(decision)
        combined = combine(categories, per_category)
        self._remember(state.by_request, (purpose, categories, recipient), combined)
        return combined

    def _remember(self, cache: dict[Any, Decision], key: Any, decision: Decision) -> None:
        if len(cache) >= self._max_entries:
            cache.clear()  # rare: only hostile or runaway keys fill it; known keys come back on next use
        cache[key] = decision
