"""Type stubs of the compiled module ``aluna._native`` (checked by ``mypy.stubtest``).

The documented API is the pure-Python package ``aluna``; these bindings are private.
"""

from typing import Any, final

__all__ = [
    "PSEUDONYM_PATTERN",
    "CoxModel",
    "Graph",
    "GraphBuilder",
    "PrivacyKey",
    "__version__",
    "brokerage_of",
    "chi2_sf",
    "co_offending",
    "communities_of",
    "cumulative_incidence_table",
    "dice_pairs",
    "disruption_of",
    "effect_weighting",
    "eligible_targets",
    "encode_for_linkage",
    "equivalence_classes_table",
    "fine_gray_fit",
    "graph_from_observations",
    "graph_observations",
    "group_summary_of",
    "key_players_of",
    "layer_degree_table",
    "layer_overlap_table",
    "layer_summary_table",
    "layout_of",
    "link",
    "link_records",
    "linkage_bands",
    "logistic_fit",
    "logistic_predict",
    "logistic_terms_of",
    "logrank_test",
    "match_nearest",
    "modularity_of",
    "multiplex_table",
    "node_features_of",
    "noisy_counts",
    "one_to_one",
    "panel_twfe",
    "pseudonymise",
    "rank_targets",
    "structural_holes",
    "suppress_small_cells",
    "survival_curve",
    "zcdp_epsilon",
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

# ---------------------------------------------------------------------------- disruption, features

def disruption_of(
    graph: Graph,
    strategy: str = "degree",
    steps: int = 10,
    recalculate: bool = True,
    recovery: str = "none",
    recovery_probability: float = 0.5,
    seed: int = 0,
    efficiency: bool = True,
    exclude_roles: list[str] = ...,
    threads: int | None = None,
) -> tuple[Any, Any]: ...
def node_features_of(
    graph: Graph,
    end: int | None = None,
    nodes: Any = None,
    weighted: bool = False,
    exact_betweenness_limit: int = 10_000,
    epsilon: float = 0.01,
    delta: float = 0.1,
    seed: int = 0,
    resolution: float = 1.0,
    threads: int | None = None,
) -> Any: ...

# ---------------------------------------------------------------------------- layout

def layout_of(
    graph: Graph,
    iterations: int | None = None,
    scaling: float | None = None,
    gravity: float = 1.0,
    strong_gravity: bool = False,
    linlog: bool = False,
    theta: float | None = None,
    jitter_tolerance: float = 1.0,
    weighted: bool = False,
    seed: int = 0,
    pack_components: bool = True,
    threads: int | None = None,
) -> Any: ...

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

PSEUDONYM_PATTERN: str

@final
class PrivacyKey:
    @staticmethod
    def from_env(name: str) -> PrivacyKey: ...
    @staticmethod
    def from_file(path: str) -> PrivacyKey: ...
    @staticmethod
    def from_prompt(data: bytes) -> PrivacyKey: ...
    def fingerprint(self) -> str: ...

def pseudonymise(
    data: Any,
    column: str,
    key: PrivacyKey,
    kind: str,
    integer: bool = False,
    threads: int | None = None,
) -> Any: ...
def encode_for_linkage(
    data: Any,
    groups: list[tuple[list[str], float]],
    key: PrivacyKey,
    bits: int = 1024,
    hashes: int = 10,
    threads: int | None = None,
) -> Any: ...
def link(
    left: Any,
    right: Any,
    encoding: str,
    threshold: float,
    one_to_one: bool = False,
    blocking: list[str] | None = None,
    threads: int | None = None,
) -> Any: ...
def one_to_one(
    pairs: Any, left: str, right: str, score: str, threads: int | None = None
) -> Any: ...
def linkage_bands(
    frame: Any,
    encoding: str,
    bands: int,
    rows: int,
    seed: int = 0,
    prefix: str = "band_",
    threads: int | None = None,
) -> Any: ...
def dice_pairs(frame: Any, left: str, right: str, threads: int | None = None) -> Any: ...
def equivalence_classes_table(
    data: Any,
    columns: list[str],
    sensitive: str | None = None,
    weights: str | None = None,
) -> tuple[Any, Any]: ...
def suppress_small_cells(
    data: Any,
    columns: list[str],
    threshold: int = 10,
    suppress_zeros: bool = False,
    secondary: bool = True,
) -> tuple[list[tuple[int, int, str, int | None, int | None]], list[tuple[int, int]]]: ...
def noisy_counts(
    data: Any,
    columns: list[str],
    epsilon: float,
    mechanism: str = "laplace",
    delta: float | None = None,
    cells_per_person: int = 1,
    seed: int | None = None,
) -> tuple[Any, dict[str, Any]]: ...
def zcdp_epsilon(rho: float, delta: float) -> float: ...

# ---------------------------------------------------------------------------- programme evaluation

def effect_weighting(
    frame: Any,
    covariates: list[str],
    treatment: str,
    outcome: str,
    weights: str | None = None,
    outcome_covariates: list[str] | None = None,
    outcome_model: str | None = None,
    estimand: str = "ATE",
    normalised: bool = True,
    trim: tuple[float, float] | None = None,
    bootstrap: int = 0,
    seed: int = 0,
    max_iter: int = 100,
    threads: int | None = None,
) -> tuple[dict[str, Any], Any]: ...
def match_nearest(
    frame: Any,
    treatment: str,
    score: str | None = None,
    covariates: list[str] | None = None,
    exact: str | None = None,
    ratio: int = 1,
    caliper: float | None = None,
    replace: bool = False,
    order: str = "largest",
    seed: int = 0,
    threads: int | None = None,
) -> tuple[Any, Any]: ...
def panel_twfe(
    frame: Any,
    regressors: list[str],
    outcome: str,
    unit: str,
    time: str,
    weights: str | None = None,
    cluster: str | None = None,
    threads: int | None = None,
) -> dict[str, Any]: ...

# ---------------------------------------------------------------------------- stats

def chi2_sf(statistic: float, df: float) -> float: ...
def cumulative_incidence_table(
    frame: Any,
    duration: str,
    event: str,
    group: str | None = None,
    row_number: str | None = None,
    rho: float = 0.0,
    strata: str | None = None,
    entry: str | None = None,
    weights: str | None = None,
    id: str | None = None,
) -> tuple[Any, list[str], list[tuple[int, float, int, float]]]: ...
def fine_gray_fit(
    frame: Any,
    covariates: list[str],
    duration: str,
    event: str,
    cause: int = 1,
    row_number: str | None = None,
    max_iter: int = 50,
    threads: int | None = None,
) -> dict[str, Any]: ...
def logistic_fit(
    frame: Any,
    covariates: list[str],
    outcome: str,
    weights: str | None = None,
    cluster: str | None = None,
    intercept: bool = True,
    penalty: str = "none",
    alpha: float = 0.0,
    robust: bool = False,
    max_iter: int = 100,
    threads: int | None = None,
) -> dict[str, Any]: ...
def logistic_predict(
    frame: Any,
    covariates: list[str],
    coef: list[float],
    intercept: bool = True,
    threads: int | None = None,
) -> Any: ...
def logistic_terms_of(
    frame: Any,
    covariates: list[str],
    outcome: str,
    coef: list[float],
    weights: str | None = None,
    intercept: bool = True,
    meat: bool = False,
    threads: int | None = None,
) -> dict[str, Any]: ...
def survival_curve(
    frame: Any,
    duration: str,
    event: str,
    entry: str | None = None,
    weights: str | None = None,
    group: str | None = None,
    row_number: str | None = None,
    level: float = 0.95,
    estimator: str = "kaplan_meier",
    id: str | None = None,
) -> tuple[Any, list[str]]: ...
def logrank_test(
    frame: Any,
    duration: str,
    event: str,
    group: str,
    entry: str | None = None,
    weights: str | None = None,
    row_number: str | None = None,
) -> tuple[list[float], list[float], float, int, float, list[str]]: ...

@final
class CoxModel:
    @staticmethod
    def fit(
        frame: Any,
        covariates: list[str],
        duration: str,
        event: str,
        entry: str | None = None,
        weights: str | None = None,
        strata: str | None = None,
        cluster: str | None = None,
        row_number: str | None = None,
        ties: str = "efron",
        penalizer: float = 0.0,
        max_iter: int = 50,
        threads: int | None = None,
        cause: int | None = None,
    ) -> CoxModel: ...
    def results(self, robust: bool = False) -> dict[str, Any]: ...
    def concordance(self) -> float: ...
    def baseline(self) -> Any: ...
    def predict_survival(
        self, frame: Any, covariates: list[str], times: list[float], strata: str | None = None
    ) -> Any: ...
    def zph(self, terms: list[list[int]]) -> list[tuple[float, int, float]]: ...
    def score_residuals(self) -> list[list[float]]: ...

# ---------------------------------------------------------------------------- evaluation

__all__ += [
    "bootstrap_rows",
    "calibration_in_the_large",
    "concordance_bootstrap",
    "concordance_counts",
    "fairness_counts",
    "lowess_at",
    "roc_auc_bootstrap",
    "roc_auc_delong",
    "roc_curve_table",
    "time_dependent_auc_values",
    "time_dependent_brier_values",
]

def roc_auc_delong(
    frame: Any, outcome: str, score: str
) -> tuple[float, float | None, int, int]: ...
def roc_curve_table(frame: Any, outcome: str, score: str, weights: str | None = None) -> Any: ...
def roc_auc_bootstrap(
    frame: Any,
    outcome: str,
    score: str,
    replicates: int,
    seed: int,
    stratified: bool = True,
    threads: int | None = None,
) -> list[float]: ...
def concordance_counts(
    frame: Any,
    duration: str,
    event: str,
    score: str,
    strata: str | None = None,
    method: str = "harrell",
    tau: float | None = None,
    censoring: Any = None,
) -> tuple[float, float, float, float, float]: ...
def concordance_bootstrap(
    frame: Any,
    duration: str,
    event: str,
    score: str,
    replicates: int,
    seed: int,
    strata: str | None = None,
    threads: int | None = None,
) -> list[float]: ...
def time_dependent_auc_values(
    frame: Any,
    duration: str,
    event: str,
    score: str,
    times: list[float],
    censoring: Any = None,
) -> list[float]: ...
def time_dependent_brier_values(
    frame: Any,
    duration: str,
    event: str,
    survival: list[str],
    times: list[float],
    censoring: Any = None,
) -> list[float]: ...
def calibration_in_the_large(frame: Any, outcome: str, offset: str) -> tuple[float, float]: ...
def lowess_at(frame: Any, x: str, y: str, frac: float, at: list[float]) -> list[float | None]: ...
def bootstrap_rows(
    n: int, seed: int, replicate: int, strata: list[int] | None = None
) -> list[int]: ...
def fairness_counts(
    frame: Any,
    outcome: str,
    predicted: str,
    group: str,
    score: str | None = None,
    replicates: int = 0,
    seed: int = 0,
    threads: int | None = None,
) -> tuple[list[list[float | None]], list[list[list[float | None]]]]: ...

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
    n: int,
    periods: int,
    seed: int,
    start: int,
    stop: int,
    threads: int | None = None,
    zero_inflation: float = 0.0,
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
    duplicates: float = 0.0,
) -> list[tuple[str, Any]]: ...
def synth_linkage_pair_truth(
    n: int, overlap: float, corruption: float, seed: int, duplicates: float = 0.0
) -> list[tuple[str, Any]]: ...
def synth_case_network(
    n_persons: int, n_groups: int, seed: int, threads: int | None = None
) -> list[tuple[str, Any]]: ...

# ---------------------------------------------------------------------------- careers

__all__ += [
    "career_parameters_table",
    "diversity_table",
    "escalation_test",
    "forward_specialisation_tables",
    "trajectories_fit",
    "trajectory_em_step",
]

def trajectories_fit(
    frame: Any,
    person: str,
    time: str,
    count: str,
    exposure: str | None = None,
    model: str = "zip",
    order: int = 2,
    zero_order: int = 0,
    groups: list[int] = ...,
    starts: int = 10,
    start_iterations: int = 25,
    max_iter: int = 2000,
    tolerance: float = 1e-8,
    seed: int = 0,
    accelerate: bool = True,
    z_value: float = 1.959963984540054,
    threads: int | None = None,
) -> dict[str, Any]: ...
def trajectory_em_step(
    frame: Any,
    person: str,
    time: str,
    count: str,
    beta: list[list[float]],
    gamma: list[list[float]],
    shares: list[float],
    exposure: str | None = None,
    model: str = "zip",
    zero_order: int = 0,
) -> dict[str, Any]: ...
def career_parameters_table(
    frame: Any,
    person: str,
    age: str,
    offences: list[str],
    sexual: str | None = None,
    period: float = 1.0,
) -> Any: ...
def diversity_table(
    frame: Any, person: str, offence_type: str, count: str | None = None
) -> tuple[Any, int]: ...
def forward_specialisation_tables(
    frame: Any, person: str, time: str, offence_type: str, count: str | None = None
) -> dict[str, Any]: ...
def escalation_test(
    frame: Any,
    person: str,
    time: str,
    seriousness: str,
    over: str = "sequence",
    level: float = 0.95,
) -> dict[str, Any]: ...

# ---------------------------------------------------------------------------- scale

@final
class GraphBuilder:
    def __new__(
        cls,
        source: str,
        target: str,
        weight: str | None = None,
        link_type: str | None = None,
        time: str | None = None,
        directed: bool = False,
        multigraph: bool = False,
    ) -> GraphBuilder: ...
    def nodes(self, nodes: Any, node: str = "node", role: str | None = None) -> None: ...
    def reserve(self, rows: int) -> None: ...
    def push(self, batch: Any) -> None: ...
    def rows(self) -> int: ...
    def finish(self) -> Graph: ...
