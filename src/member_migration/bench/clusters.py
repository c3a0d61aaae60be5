"""Do two clusterings of the same records agree?

Two clusterings agree when they are the same partition of the same records: cluster labels
differ between the project (``member_id``) and the peer (Splink's ``cluster_id``), so they are
compared as partitions, never label by label.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class ClusterComparison:
    records: int
    project_clusters: int
    peer_clusters: int
    #: records only one side clustered (should be none: both cluster the same input)
    only_in_project: int
    only_in_peer: int
    #: project clusters whose records the peer does not put in one cluster of their own
    differing_project_clusters: int
    #: records in such clusters
    records_in_differing_clusters: int
    #: a few differing project clusters, each as its sorted records, for a human to look at
    examples: list[list[str]] = field(default_factory=list)

    @property
    def agree(self) -> bool:
        return (
            self.only_in_project == 0
            and self.only_in_peer == 0
            and self.differing_project_clusters == 0
            and self.project_clusters == self.peer_clusters
        )

    def as_dict(self) -> dict:
        return {**asdict(self), "agree": self.agree}


def compare_partitions(
    project: Mapping[str, str],
    peer: Mapping[str, str],
    max_examples: int = 5,
) -> ClusterComparison:
    """Compare two ``record -> cluster label`` mappings as partitions of their records.

    A project cluster agrees when all its records carry one peer label and that peer label is
    carried by no other record; the partitions are equal when every project cluster agrees and
    both cover the same records.
    """
    common = project.keys() & peer.keys()
    project_members: dict[str, list[str]] = defaultdict(list)
    peer_sizes: dict[str, int] = defaultdict(int)
    for record in common:
        project_members[project[record]].append(record)
        peer_sizes[peer[record]] += 1
    differing: list[list[str]] = []
    records_in_differing = 0
    for records in project_members.values():
        labels = {peer[r] for r in records}
        if len(labels) != 1 or peer_sizes[next(iter(labels))] != len(records):
            differing.append(sorted(records))
            records_in_differing += len(records)
    differing.sort(key=lambda recs: (-len(recs), recs[0]))
    return ClusterComparison(
        records=len(common),
        project_clusters=len(set(project.values())),
        peer_clusters=len(set(peer.values())),
        only_in_project=len(project.keys() - peer.keys()),
        only_in_peer=len(peer.keys() - project.keys()),
        differing_project_clusters=len(differing),
        records_in_differing_clusters=records_in_differing,
        examples=differing[:max_examples],
    )


def read_pairs(rows: Iterable[tuple[str, str]]) -> dict[str, str]:
    """``(record, label)`` rows into a mapping (a record listed twice is an error)."""
    mapping: dict[str, str] = {}
    for record, label in rows:
        if record in mapping:
            raise ValueError(f"record {record!r} is listed twice")
        mapping[record] = label
    return mapping
