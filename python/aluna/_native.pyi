"""Type stubs of the compiled module ``aluna._native`` (checked by ``mypy.stubtest``).

The documented API is the pure-Python package ``aluna``; these bindings are private.
"""

from typing import Any, final

__all__ = [
    "Graph",
    "__version__",
    "brokerage_of",
    "communities_of",
    "eligible_targets",
    "group_summary_of",
    "key_players_of",
    "modularity_of",
    "rank_targets",
    "structural_holes",
]
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

# ---------------------------------------------------------------------------- groups and brokers

def communities_of(
    graph: Graph,
    method: str = "leiden",
    resolution: float = 1.0,
    weighted: bool = False,
    seed: int = 0,
    threads: int | None = None,
) -> Any: ...
def modularity_of(
    graph: Graph,
    frame: Any,
    node: str,
    group: str,
    resolution: float = 1.0,
    weighted: bool = False,
) -> float: ...
def group_summary_of(
    graph: Graph,
    frame: Any,
    node: str,
    group: str,
    weighted: bool = False,
    top: int = 3,
    exclude_roles: list[str] = ...,
) -> Any: ...
def structural_holes(
    graph: Graph, what: str, weighted: bool = False, threads: int | None = None
) -> Any: ...
def brokerage_of(
    graph: Graph,
    frame: Any,
    node: str,
    group: str,
    exclude_roles: list[str] = ...,
    threads: int | None = None,
) -> Any: ...
def key_players_of(
    graph: Graph,
    k: int,
    objective: str = "fragmentation",
    distance: int = 1,
    seed: int = 0,
    max_swaps: int = 1000,
    restarts: int = 10,
    exclude_roles: list[str] = ...,
    threads: int | None = None,
) -> tuple[Any, float, int, Any]: ...
def eligible_targets(graph: Graph, exclude_roles: list[str] = ...) -> Any: ...
def rank_targets(
    graph: Graph,
    frame: Any,
    column: str,
    node: str = "node",
    top: int | None = None,
    exclude_roles: list[str] = ...,
) -> Any: ...

# ---------------------------------------------------------------------------- privacy

# ---------------------------------------------------------------------------- stats

# ---------------------------------------------------------------------------- synth
