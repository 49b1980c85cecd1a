"""Type stubs of the compiled module ``aluna._native`` (checked by ``mypy.stubtest``).

The documented API is the pure-Python package ``aluna``; these bindings are private.
"""

from typing import Any, final

__all__ = ["Graph", "__version__"]
__version__: str

# ---------------------------------------------------------------------------- graph

@final
class Graph:
    @staticmethod
    def from_tables(
        edges: Any,
        source: str,
        target: str,
        weight: str | None = None,
        link_type: str | None = None,
        time: str | None = None,
        directed: bool = False,
        multigraph: bool = False,
        nodes: Any | None = None,
        node: str = "node",
        role: str | None = None,
    ) -> Graph: ...
    def number_of_nodes(self) -> int: ...
    def number_of_edges(self) -> int: ...
    def is_directed(self) -> bool: ...
    def is_multigraph(self) -> bool: ...
    def is_weighted(self) -> bool: ...
    def has_link_types(self) -> bool: ...
    def has_time(self) -> bool: ...
    def has_roles(self) -> bool: ...
    def time_kind(self) -> tuple[str, str | None, str | None] | None: ...
    def heap_bytes(self) -> int: ...
    def nodes(self) -> Any: ...
    def edges(self, per_link: bool = False) -> Any: ...
    def degree(self, name: str, weighted: bool = False, direction: str = "all") -> Any: ...
    def components(self, strong: bool = False) -> Any: ...
    def subgraph(
        self,
        nodes: Any | None = None,
        link_types: Any | None = None,
        start: int | None = None,
        end: int | None = None,
    ) -> Graph: ...
    def align_nodes(self, nodes: Any, column: str) -> Any: ...
    def with_roles(self, nodes: Any, column: str, role: str) -> Graph: ...

# ---------------------------------------------------------------------------- privacy

# ---------------------------------------------------------------------------- stats

# ---------------------------------------------------------------------------- synth

__all__ += [
    "SYNTH_GENERATOR_VERSION",
    "SYNTH_PSEUDONYM_PATTERN",
    "synth_careers_panel",
    "synth_careers_panel_truth",
    "synth_case_network",
    "synth_linkage_pair",
    "synth_linkage_pair_truth",
    "synth_offender_cohort",
    "synth_offender_cohort_truth",
    "synth_programme_evaluation",
    "synth_programme_evaluation_truth",
    "synth_victims",
    "synth_victims_truth",
]

SYNTH_GENERATOR_VERSION: int
SYNTH_PSEUDONYM_PATTERN: str

def synth_offender_cohort(
    n: int, seed: int, start: int, stop: int, threads: int | None = None
) -> list[tuple[str, Any]]: ...
def synth_offender_cohort_truth() -> list[tuple[str, Any]]: ...
def synth_programme_evaluation(
    n: int, seed: int, delayed_entry: bool, start: int, stop: int, threads: int | None = None
) -> list[tuple[str, Any]]: ...
def synth_programme_evaluation_truth() -> list[tuple[str, Any]]: ...
def synth_victims(
    n: int, seed: int, start: int, stop: int, threads: int | None = None
) -> list[tuple[str, Any]]: ...
def synth_victims_truth() -> list[tuple[str, Any]]: ...
def synth_careers_panel(
    n: int, periods: int, seed: int, start: int, stop: int, threads: int | None = None
) -> list[tuple[str, Any]]: ...
def synth_careers_panel_truth() -> list[tuple[str, Any]]: ...
def synth_linkage_pair(
    n: int,
    overlap: float,
    corruption: float,
    seed: int,
    agency: str,
    start: int,
    stop: int,
    threads: int | None = None,
) -> list[tuple[str, Any]]: ...
def synth_linkage_pair_truth(
    n: int, overlap: float, corruption: float, seed: int
) -> list[tuple[str, Any]]: ...
def synth_case_network(
    n_persons: int, n_groups: int, seed: int, threads: int | None = None
) -> list[tuple[str, Any]]: ...
