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
    # centrality (issue 5)
    def betweenness(
        self,
        normalized: bool = True,
        weighted: bool = False,
        endpoints: bool = False,
        epsilon: float | None = None,
        delta: float = 0.1,
        seed: int = 0,
        threads: int | None = None,
    ) -> Any: ...
    def edge_betweenness(
        self, normalized: bool = True, weighted: bool = False, threads: int | None = None
    ) -> Any: ...
    def closeness(
        self, weighted: bool = False, wf_improved: bool = True, threads: int | None = None
    ) -> Any: ...
    def harmonic(self, weighted: bool = False, threads: int | None = None) -> Any: ...
    def eigenvector(
        self,
        weighted: bool = False,
        tol: float = 1e-10,
        max_iter: int = 1000,
        threads: int | None = None,
    ) -> Any: ...
    def pagerank(
        self,
        alpha: float = 0.85,
        weighted: bool = False,
        personalization: Any | None = None,
        tol: float = 1e-10,
        max_iter: int = 1000,
        threads: int | None = None,
    ) -> Any: ...
    def katz(
        self,
        alpha: float = 0.1,
        beta: float = 1.0,
        node_beta: Any | None = None,
        normalized: bool = True,
        weighted: bool = False,
        tol: float = 1e-10,
        max_iter: int = 1000,
        threads: int | None = None,
    ) -> Any: ...
    def core_number(self) -> Any: ...
    def clustering(self, weighted: bool = False, threads: int | None = None) -> Any: ...
    def transitivity(self, threads: int | None = None) -> float: ...
    def articulation_points(self) -> Any: ...
    def bridges(self) -> Any: ...

# ---------------------------------------------------------------------------- privacy

# ---------------------------------------------------------------------------- stats

# ---------------------------------------------------------------------------- synth
