"""Type stubs of the compiled module ``aluna._native`` (checked by ``mypy.stubtest``).

The documented API is the pure-Python package ``aluna``; these bindings are private.
"""

from typing import Any, final

__all__ = [
    "Graph",
    "__version__",
    "co_offending",
    "graph_from_observations",
    "graph_observations",
    "layer_degree_table",
    "layer_overlap_table",
    "layer_summary_table",
    "link_records",
    "multiplex_table",
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

# ---------------------------------------------------------------------------- records

def link_records(
    records: Any,
    entity: str,
    identifiers: list[str],
    time: str | None = None,
    weighting: str = "inverse_frequency",
    max_identifier_degree: int | None = None,
    window: int | None = None,
    threads: int | None = None,
) -> tuple[Graph, Any, Any, int, int]: ...
def co_offending(
    participation: Any,
    person: str,
    case: str,
    crime_type: str | None = None,
    time: str | None = None,
    threads: int | None = None,
) -> tuple[Graph, tuple[int, int, int, int, int]]: ...
def graph_observations(graph: Graph) -> Any: ...
def graph_from_observations(
    nodes: Any,
    links: Any,
    weight: str | None = None,
    count: str | None = None,
    link_type: str | None = None,
    time: str | None = None,
    until: str | None = None,
    directed: bool = False,
    multigraph: bool = False,
    role: str | None = None,
    link_type_levels: Any | None = None,
) -> Graph: ...
def layer_degree_table(graph: Graph, direction: str = "all") -> Any: ...
def multiplex_table(graph: Graph, direction: str = "all") -> Any: ...
def layer_summary_table(graph: Graph) -> Any: ...
def layer_overlap_table(graph: Graph) -> Any: ...

# ---------------------------------------------------------------------------- privacy

# ---------------------------------------------------------------------------- stats

# ---------------------------------------------------------------------------- synth
