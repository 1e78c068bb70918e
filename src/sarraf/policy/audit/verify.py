"""Recompute the whole log from its stored leaves and compare with the signed checkpoints.

Reports, never repairs. Each problem names what is wrong and where: the entry index for a leaf whose
content no longer matches its hash or its position, the missing indices for removed rows, and for a
leaf rewritten together with its hash, the span between the last checkpoint that still matches and the
first that does not.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sarraf.policy.audit.checkpoint import GENESIS, Checkpoint, CheckpointSigner
from sarraf.policy.audit.entry import seq_of
from sarraf.policy.audit.merkle import CompactRange, leaf_hash
from sarraf.policy.audit.mirror import CheckpointMirror
from sarraf.policy.audit.ports import AuditStore

MAX_PROBLEMS = 50


@dataclass
class VerifyReport:
    size: int = 0  # entries read
    checkpoints: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    hidden: int = 0  # problems beyond MAX_PROBLEMS, counted but not listed

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, text: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(text)
        else:
            self.hidden += 1

    def lines(self) -> list[str]:
        more = [f"... and {self.hidden} more problems"] if self.hidden else []
        return self.problems + more


def _check_chain(checkpoints: list[Checkpoint], signer: CheckpointSigner, report: VerifyReport) -> None:
    previous: Checkpoint | None = None
    for expected_seq, cp in enumerate(checkpoints, start=1):
        if cp.seq != expected_seq:
            report.problem(f"checkpoint #{expected_seq} is missing (next stored is #{cp.seq}): removed")
        if problem := signer.check(cp):
            report.problem(problem)
        # After a gap the link is broken by definition; the gap itself was already reported.
        linked = previous is None or previous.seq == cp.seq - 1
        want_previous = previous.digest() if previous else GENESIS
        if linked and cp.previous != want_previous:
            report.problem(f"{cp.describe()} does not chain to the checkpoint before it (edited or replaced)")
        if previous is not None and cp.tree_size < previous.tree_size:
            report.problem(f"{cp.describe()} is smaller than {previous.describe()}: the log went backwards")
        previous = cp


def _check_mirror(checkpoints: list[Checkpoint], mirror: CheckpointMirror, report: VerifyReport) -> None:
    try:
        copy = mirror.load()
    except (ValueError, KeyError, OSError) as exc:
        report.problem(f"the checkpoint mirror outside the database is unreadable: {exc}")
        return
    if copy is None:
        if checkpoints:
            report.problem("the checkpoint mirror outside the database is missing, though checkpoints exist")
        return
    by_seq = {cp.seq: cp for cp in checkpoints}
    stored = by_seq.get(copy.seq)
    if stored is None:
        report.problem(
            f"{copy.describe()} (kept outside the database) is missing from the database: "
            "the newest checkpoints were removed"
        )
    elif not stored.same_as(copy):
        report.problem(f"{stored.describe()} in the database differs from its copy outside the database")
    elif checkpoints and checkpoints[-1].seq > copy.seq:
        report.notes.append(f"the mirror holds #{copy.seq}; the database is {checkpoints[-1].seq - copy.seq} ahead")


async def verify_log(store: AuditStore, signer: CheckpointSigner, mirror: CheckpointMirror) -> VerifyReport:
    report = VerifyReport()
    checkpoints = await store.checkpoints()
    report.checkpoints = len(checkpoints)
    _check_chain(checkpoints, signer, report)
    _check_mirror(checkpoints, mirror, report)

    pending = sorted(checkpoints, key=lambda cp: (cp.tree_size, cp.seq))
    at = 0  # next checkpoint to compare
    last_good = 0  # largest checkpointed size whose root still matches
    tree = CompactRange()
    expected = 0
    broken_order = False

    def compare_roots() -> None:
        nonlocal at, last_good
        while at < len(pending) and pending[at].tree_size == tree.size:
            cp = pending[at]
            if cp.root == tree.root():
                last_good = cp.tree_size
            elif not broken_order:
                report.problem(
                    f"entries {last_good}..{cp.tree_size - 1} no longer hash to the root signed in "
                    f"{cp.describe()}: an entry there was modified, inserted or reordered"
                )
            at += 1

    compare_roots()
    async for batch in store.leaves():
        for leaf in batch:
            if leaf.index != expected:
                if leaf.index > expected:
                    gap = f"{expected}" if leaf.index == expected + 1 else f"{expected}..{leaf.index - 1}"
                    report.problem(f"entries {gap} are missing: removed")
                else:
                    report.problem(f"entry {leaf.index} appears out of order after entry {expected - 1}")
                broken_order = True  # every later root would mismatch: the first cause is reported
                expected = leaf.index
            digest = leaf_hash(leaf.data)
            if digest != leaf.hash:
                report.problem(f"entry {leaf.index}: content does not match its stored hash (modified)")
            claimed = seq_of(leaf.data)
            if claimed != leaf.index:
                report.problem(f"entry {leaf.index} holds the record written as entry {claimed} (moved or swapped)")
            tree.append(digest)
            expected += 1
            report.size += 1
            compare_roots()
    for cp in pending[at:]:
        report.problem(
            f"{cp.describe()} covers {cp.tree_size} entries but only {tree.size} are stored: "
            f"entries from {tree.size} on were removed"
        )
    signed = checkpoints[-1].tree_size if checkpoints else 0
    if report.size > signed:
        report.notes.append(f"{report.size - signed} newest entries are not yet covered by a signed checkpoint")
    return report
