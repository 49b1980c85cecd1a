//! Drawing positions: ForceAtlas2 with Barnes–Hut repulsion (Jacomy et al. 2014).
//!
//! Every node repels every other (a force `k_r m_u m_v / d`, masses `m = 1 + degree`), linked
//! nodes attract (a spring force `w d`, or `w ln(1 + d)` in LinLog mode) and gravity pulls
//! everyone towards the origin so that disconnected parts stay in view. Repulsion, the
//! expensive part, is approximated by Barnes and Hut's quadtree: a far-away cell of the tree acts
//! as one body at its centre of mass, so a step costs `O(n log n + m)` instead of `O(n²)`.
//! Speeds adapt globally and per node from the *swing* (how much a node's force changes
//! direction between steps) and the *traction* (how much it keeps it), as the paper describes.
//! Connected components are laid out one by one and packed in rows, largest first.

use aluna_core::parallel::{ordered_map, Cancel};
use aluna_core::random::stream;
use aluna_core::{Error, Result};
use rand::Rng;

use crate::{connected_components, CaseGraph};

/// Below this many nodes, [`LayoutOptions::theta`] `None` computes repulsion exactly.
pub const EXACT_BELOW: usize = 1000;

/// Bodies per leaf of the quadtree (a leaf's bodies interact exactly).
const LEAF: usize = 8;
/// Depth at which a cell stops splitting (coincident points end up in one leaf).
const MAX_DEPTH: u32 = 48;

/// Options of [`layout`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LayoutOptions {
    /// Steps to run. `None`: 500 up to 500 nodes, 300 up to 5,000, 150 up to 50,000, then 80.
    pub iterations: Option<usize>,
    /// Repulsion strength `k_r` (larger spreads the drawing). `None`: 10 below 100 nodes, 2 from
    /// 100 (Gephi's defaults).
    pub scaling: Option<f64>,
    /// Gravity `k_g` towards the origin.
    pub gravity: f64,
    /// Gravity that grows with the distance from the origin (`k_g m d`) instead of a constant
    /// pull (`k_g m`): a rounder, more compact drawing.
    pub strong_gravity: bool,
    /// LinLog attraction `w ln(1 + d)`: tighter, better separated clusters (Noack 2007).
    pub linlog: bool,
    /// Barnes–Hut opening criterion: a cell of width `s` at distance `d` acts as one body when
    /// `s / d < theta`. `0` computes every pair exactly. `None`: exact below
    /// [`EXACT_BELOW`] nodes, `1.2` from there (Gephi's default).
    pub theta: Option<f64>,
    /// How much swinging is tolerated before nodes slow down (Gephi's "tolerance").
    pub jitter_tolerance: f64,
    /// Weigh attraction by the graph's link weights.
    pub weighted: bool,
    /// Seed of the starting positions.
    pub seed: u64,
    /// Lay out each connected component on its own and pack them in rows, largest first.
    /// Under one global gravity, isolated people and pairs are pushed far from the large
    /// component and the drawing shrinks it to a dot.
    pub pack_components: bool,
}

impl Default for LayoutOptions {
    fn default() -> Self {
        Self {
            iterations: None,
            scaling: None,
            gravity: 1.0,
            strong_gravity: false,
            linlog: false,
            theta: None,
            jitter_tolerance: 1.0,
            weighted: false,
            seed: 0,
            pack_components: true,
        }
    }
}

impl LayoutOptions {
    /// The number of steps for a graph of `n` nodes.
    pub fn steps(&self, n: usize) -> usize {
        self.iterations.unwrap_or(match n {
            0..=500 => 500,
            501..=5_000 => 300,
            5_001..=50_000 => 150,
            _ => 80,
        })
    }

    fn check(&self) -> Result<()> {
        let positive = |name: &'static str, value: f64| {
            if value.is_finite() && value > 0.0 {
                Ok(())
            } else {
                Err(Error::argument(
                    name,
                    format!("must be a positive number, got {value}"),
                ))
            }
        };
        if let Some(s) = self.scaling {
            positive("scaling", s)?;
        }
        positive("jitter_tolerance", self.jitter_tolerance)?;
        if !(self.gravity.is_finite() && self.gravity >= 0.0) {
            return Err(Error::argument(
                "gravity",
                format!("must be a non-negative number, got {}", self.gravity),
            ));
        }
        if let Some(t) = self.theta {
            if !(t.is_finite() && t >= 0.0) {
                return Err(Error::argument(
                    "theta",
                    format!("must be a non-negative number (0 for exact), got {t}"),
                ));
            }
        }
        Ok(())
    }
}

/// A cell of the quadtree: a square, the mass inside it and its centre of mass.
#[derive(Debug, Clone, Copy)]
struct Cell {
    cx: f64,
    cy: f64,
    half: f64,
    mass: f64,
    mx: f64,
    my: f64,
    /// Index of the first of four consecutive children, or `u32::MAX` for a leaf.
    child: u32,
    /// The leaf's bodies: `order[start..end]`.
    start: u32,
    end: u32,
}

/// A Barnes–Hut quadtree over the current positions, built serially (so deterministically).
struct QuadTree<'a> {
    cells: Vec<Cell>,
    order: Vec<u32>,
    pos: &'a [[f64; 2]],
    mass: &'a [f64],
}

impl<'a> QuadTree<'a> {
    fn build(pos: &'a [[f64; 2]], mass: &'a [f64]) -> Self {
        let n = pos.len();
        let (mut lo_x, mut lo_y, mut hi_x, mut hi_y) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for p in pos {
            lo_x = lo_x.min(p[0]);
            lo_y = lo_y.min(p[1]);
            hi_x = hi_x.max(p[0]);
            hi_y = hi_y.max(p[1]);
        }
        let half = (0.5 * (hi_x - lo_x).max(hi_y - lo_y)).max(1e-9) * (1.0 + 1e-9);
        let mut order: Vec<u32> = (0..n as u32).collect();
        let mut scratch = vec![0u32; n];
        let mut cells = vec![Cell {
            cx: 0.5 * (lo_x + hi_x),
            cy: 0.5 * (lo_y + hi_y),
            half,
            mass: 0.0,
            mx: 0.0,
            my: 0.0,
            child: u32::MAX,
            start: 0,
            end: n as u32,
        }];
        // Split cells in creation order; children are appended, so a parent precedes them.
        let mut depth = vec![0u32];
        let mut next = 0;
        while next < cells.len() {
            let cell = cells[next];
            let (s, e) = (cell.start as usize, cell.end as usize);
            if e - s > LEAF && depth[next] < MAX_DEPTH {
                // Stable partition of order[s..e] into the four quadrants.
                let quadrant = |v: u32| {
                    let p = pos[v as usize];
                    usize::from(p[0] >= cell.cx) + 2 * usize::from(p[1] >= cell.cy)
                };
                let mut counts = [0usize; 4];
                for &v in &order[s..e] {
                    counts[quadrant(v)] += 1;
                }
                let mut at = [s, s + counts[0], s + counts[0] + counts[1], 0];
                at[3] = at[2] + counts[2];
                let bounds = at;
                for &v in &order[s..e] {
                    let q = quadrant(v);
                    scratch[at[q]] = v;
                    at[q] += 1;
                }
                order[s..e].copy_from_slice(&scratch[s..e]);
                let first = cells.len() as u32;
                let h = 0.5 * cell.half;
                for q in 0..4 {
                    let end = if q == 3 { e } else { bounds[q + 1] };
                    cells.push(Cell {
                        cx: cell.cx + if q & 1 == 1 { h } else { -h },
                        cy: cell.cy + if q & 2 == 2 { h } else { -h },
                        half: h,
                        mass: 0.0,
                        mx: 0.0,
                        my: 0.0,
                        child: u32::MAX,
                        start: bounds[q] as u32,
                        end: end as u32,
                    });
                    depth.push(depth[next] + 1);
                }
                cells[next].child = first;
            }
            next += 1;
        }
        // Masses and centres of mass, children before parents.
        for c in (0..cells.len()).rev() {
            let cell = cells[c];
            let (mut m, mut x, mut y) = (0.0, 0.0, 0.0);
            if cell.child == u32::MAX {
                for &v in &order[cell.start as usize..cell.end as usize] {
                    let (mv, p) = (mass[v as usize], pos[v as usize]);
                    m += mv;
                    x += mv * p[0];
                    y += mv * p[1];
                }
            } else {
                for k in 0..4 {
                    let child = cells[cell.child as usize + k];
                    m += child.mass;
                    x += child.mass * child.mx;
                    y += child.mass * child.my;
                }
            }
            let cell = &mut cells[c];
            cell.mass = m;
            if m > 0.0 {
                cell.mx = x / m;
                cell.my = y / m;
            }
        }
        Self {
            cells,
            order,
            pos,
            mass,
        }
    }

    /// Repulsion on body `i`, with `k` the repulsion strength.
    fn repulsion(&self, i: u32, k: f64, theta: f64, stack: &mut Vec<u32>) -> [f64; 2] {
        let (pos, mass) = (self.pos, self.mass);
        let (p, m) = (pos[i as usize], mass[i as usize]);
        let mut f = [0.0, 0.0];
        stack.clear();
        stack.push(0);
        while let Some(c) = stack.pop() {
            let cell = &self.cells[c as usize];
            if cell.mass == 0.0 {
                continue;
            }
            if cell.child == u32::MAX {
                for &j in &self.order[cell.start as usize..cell.end as usize] {
                    if j == i {
                        continue;
                    }
                    let q = pos[j as usize];
                    let (dx, dy) = (p[0] - q[0], p[1] - q[1]);
                    let d2 = dx * dx + dy * dy;
                    if d2 > 0.0 {
                        let s = k * m * mass[j as usize] / d2;
                        f[0] += dx * s;
                        f[1] += dy * s;
                    }
                }
                continue;
            }
            let (dx, dy) = (p[0] - cell.mx, p[1] - cell.my);
            let d2 = dx * dx + dy * dy;
            let inside = (p[0] - cell.cx).abs() <= cell.half && (p[1] - cell.cy).abs() <= cell.half;
            let width = 2.0 * cell.half;
            if !inside && d2 > 0.0 && width * width < theta * theta * d2 {
                let s = k * m * cell.mass / d2;
                f[0] += dx * s;
                f[1] += dy * s;
            } else {
                for q in 0..4 {
                    stack.push(cell.child + q);
                }
            }
        }
        f
    }
}

/// Undirected neighbour rows with attraction weights (self-loops dropped).
struct Springs {
    offsets: Vec<usize>,
    neighbours: Vec<u32>,
    weights: Option<Vec<f64>>,
}

impl Springs {
    fn new(graph: &CaseGraph, weighted: bool) -> Result<Self> {
        if weighted && graph.edge_weights().is_none() {
            return Err(Error::argument(
                "weight",
                "the graph has no link weights; build it with weight=...",
            ));
        }
        let n = graph.number_of_nodes();
        let out = graph.out_adjacency();
        let out_w = if weighted {
            graph.out_slot_weights()
        } else {
            None
        };
        let directed = graph.is_directed();
        let inc = graph.in_adjacency();
        let in_w = if weighted && directed {
            graph.in_slot_weights()
        } else {
            None
        };
        let mut offsets = Vec::with_capacity(n + 1);
        offsets.push(0);
        let mut neighbours = Vec::with_capacity(out.slots() * if directed { 2 } else { 1 });
        let mut weights = weighted.then(|| Vec::with_capacity(neighbours.capacity()));
        for v in 0..n as u32 {
            let mut add = |row: std::ops::Range<usize>, adj: &[u32], w: &Option<Vec<f64>>| {
                for (k, &u) in adj.iter().enumerate() {
                    if u == v {
                        continue;
                    }
                    neighbours.push(u);
                    if let (Some(ws), Some(w)) = (weights.as_mut(), w.as_ref()) {
                        ws.push(w[row.start + k]);
                    }
                }
            };
            add(out.range(v), out.neighbours(v), &out_w);
            if directed {
                add(inc.range(v), inc.neighbours(v), &in_w);
            }
            offsets.push(neighbours.len());
        }
        Ok(Self {
            offsets,
            neighbours,
            weights,
        })
    }

    fn degree(&self, v: usize) -> usize {
        self.offsets[v + 1] - self.offsets[v]
    }

    fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// The rows of `members` (a union of connected components, ascending), renumbered
    /// `0..members.len()`; `local` is scratch of one entry per node.
    fn restrict(&self, members: &[u32], local: &mut [u32]) -> Self {
        for (i, &v) in members.iter().enumerate() {
            local[v as usize] = i as u32;
        }
        let mut offsets = Vec::with_capacity(members.len() + 1);
        offsets.push(0);
        let mut neighbours = Vec::new();
        let mut weights = self.weights.as_ref().map(|_| Vec::new());
        for &v in members {
            let row = self.offsets[v as usize]..self.offsets[v as usize + 1];
            neighbours.extend(
                self.neighbours[row.clone()]
                    .iter()
                    .map(|&u| local[u as usize]),
            );
            if let (Some(out), Some(w)) = (weights.as_mut(), self.weights.as_ref()) {
                out.extend_from_slice(&w[row]);
            }
            offsets.push(neighbours.len());
        }
        Self {
            offsets,
            neighbours,
            weights,
        }
    }
}

/// The settings of one run, fixed from the whole graph's size.
#[derive(Debug, Clone, Copy)]
struct Run {
    steps: usize,
    k_r: f64,
    theta: Option<f64>,
    gravity: f64,
    strong_gravity: bool,
    linlog: bool,
    jitter_tolerance: f64,
    seed: u64,
}

/// Drawing positions `[x, y]` of every node, by node index, by ForceAtlas2.
///
/// Forces on node `u` (mass `m_u = 1 + deg(u)`, links taken as undirected, self-loops ignored):
/// repulsion `k_r m_u m_v / d_uv` from every other node (Barnes–Hut approximated unless
/// `theta = 0`), attraction `w_uv d_uv` towards each neighbour (`w_uv ln(1 + d_uv)` with
/// `linlog`; `w_uv = 1` unless `weighted`) and gravity `k_g m_u` (`k_g m_u d_u` with
/// `strong_gravity`) towards the origin. Each step moves `u` by its force times
/// `s / (1 + sqrt(s · swing_u))`, with the global speed `s` adapted from total swing and
/// traction as in Gephi. Starting positions are uniform in `[-sqrt(n), sqrt(n)]²` (`n` the
/// component's size), node `i` drawn from the random stream `(seed, i)`. With
/// `pack_components` (the default) each connected component (weakly, when directed) is laid
/// out on its own with the settings of the whole graph, then the drawings are packed in rows,
/// largest first, a median link length apart.
///
/// Forces are computed per node in parallel, each by one thread, and the global sums in node
/// order, so the result is bit-identical for any number of threads; the same seed gives the same
/// drawing. Each step polls `cancel`.
///
/// # Errors
/// [`Error::InvalidArgument`] for a non-positive `scaling` or `jitter_tolerance`, a negative
/// `gravity` or `theta`, or `weighted` on a graph without weights; [`Error::Cancelled`].
///
/// # References
/// Jacomy, M., Venturini, T., Heymann, S., & Bastian, M. (2014). ForceAtlas2, a continuous graph
/// layout algorithm for handy network visualization designed for the Gephi software. PLoS ONE
/// 9(6), e98679. <https://doi.org/10.1371/journal.pone.0098679>.
/// Barnes, J., & Hut, P. (1986). A hierarchical O(N log N) force-calculation algorithm. Nature
/// 324, 446-449. <https://doi.org/10.1038/324446a0>.
/// Noack, A. (2007). Energy models for graph clustering. Journal of Graph Algorithms and
/// Applications 11(2), 453-480. <https://doi.org/10.7155/jgaa.00154>.
///
/// # Example
/// ```
/// use aluna_core::ids::{IdMap, Key};
/// use aluna_core::parallel::Cancel;
/// use aluna_graph::{layout, CaseGraph, EdgeRows, GraphOptions, LayoutOptions};
/// let mut ids = IdMap::new_int();
/// for v in 0..6 { ids.intern(Key::Int(v))?; }
/// // Two triangles joined by one link 2-3.
/// let rows = EdgeRows {
///     source: vec![0, 1, 2, 3, 4, 5, 2],
///     target: vec![1, 2, 0, 4, 5, 3, 3],
///     ..Default::default()
/// };
/// let g = CaseGraph::build(ids, rows, None, None, GraphOptions::default())?;
/// let xy = layout(&g, &LayoutOptions::default(), &Cancel::new())?;
/// let d = |a: usize, b: usize| ((xy[a][0] - xy[b][0]).powi(2) + (xy[a][1] - xy[b][1]).powi(2)).sqrt();
/// // Nodes of one triangle sit closer together than nodes of different triangles.
/// assert!(d(0, 1) < d(0, 4) && d(4, 5) < d(1, 5));
/// # Ok::<(), aluna_core::Error>(())
/// ```
pub fn layout(
    graph: &CaseGraph,
    options: &LayoutOptions,
    cancel: &Cancel,
) -> Result<Vec<[f64; 2]>> {
    options.check()?;
    let n = graph.number_of_nodes();
    let springs = Springs::new(graph, options.weighted)?;
    let run = Run {
        steps: options.steps(n),
        k_r: options.scaling.unwrap_or(if n < 100 { 10.0 } else { 2.0 }),
        theta: options.theta,
        gravity: options.gravity,
        strong_gravity: options.strong_gravity,
        linlog: options.linlog,
        jitter_tolerance: options.jitter_tolerance,
        seed: options.seed,
    };
    let all: Vec<u32> = (0..n as u32).collect();
    if !options.pack_components || n <= 1 {
        return force_atlas(&springs, &all, &run, cancel);
    }
    let labels = connected_components(graph);
    let count = labels.iter().map(|&c| c as usize + 1).max().unwrap_or(0);
    let mut members: Vec<Vec<u32>> = vec![Vec::new(); count];
    for (v, &c) in labels.iter().enumerate() {
        members[c as usize].push(v as u32);
    }
    if count == 1 {
        return force_atlas(&springs, &all, &run, cancel);
    }
    let mut local = vec![0u32; n];
    let mut parts = Vec::with_capacity(count);
    for nodes in &members {
        let sub = springs.restrict(nodes, &mut local);
        parts.push(force_atlas(&sub, nodes, &run, cancel)?);
    }
    let offsets = pack(&parts, &springs, &members);
    let mut pos = vec![[0.0f64; 2]; n];
    for ((nodes, part), offset) in members.iter().zip(&parts).zip(&offsets) {
        for (&v, p) in nodes.iter().zip(part) {
            pos[v as usize] = [p[0] + offset[0], p[1] + offset[1]];
        }
    }
    Ok(pos)
}

/// Shelf packing of component drawings, largest first: returns the shift of each part.
///
/// Each part is centred on its bounding box and given a cell of its size plus a gap of one
/// typical link length (the median over all links); rows are filled left to right up to a
/// width of 1.2 times the square root of the cells' total area, the largest part alone on top.
fn pack(parts: &[Vec<[f64; 2]>], springs: &Springs, members: &[Vec<u32>]) -> Vec<[f64; 2]> {
    let unit = typical_link(parts, springs, members);
    let boxes: Vec<([f64; 2], [f64; 2])> = parts
        .iter()
        .map(|part| {
            let (mut lo, mut hi) = ([f64::MAX; 2], [f64::MIN; 2]);
            for p in part {
                for d in 0..2 {
                    lo[d] = lo[d].min(p[d]);
                    hi[d] = hi[d].max(p[d]);
                }
            }
            (lo, hi)
        })
        .collect();
    let cell = |b: &([f64; 2], [f64; 2])| {
        [
            (b.1[0] - b.0[0]).max(0.0) + unit,
            (b.1[1] - b.0[1]).max(0.0) + unit,
        ]
    };
    let area: f64 = boxes.iter().map(|b| cell(b)[0] * cell(b)[1]).sum();
    let width = (1.2 * area.sqrt()).max(cell(&boxes[0])[0]);
    let mut offsets = Vec::with_capacity(parts.len());
    let (mut x, mut y, mut row_height) = (0.0f64, 0.0f64, 0.0f64);
    for (k, b) in boxes.iter().enumerate() {
        let [w, h] = cell(b);
        if k == 1 || (x > 0.0 && x + w > width) {
            // The largest part fills the first row alone; then rows of the others.
            y -= row_height;
            x = 0.0;
            row_height = 0.0;
        }
        // Place the box's lower-left corner at (x, y - h): rows grow downwards.
        offsets.push([x + 0.5 * unit - b.0[0], y - h + 0.5 * unit - b.0[1]]);
        x += w;
        row_height = row_height.max(h);
    }
    offsets
}

/// The median link length over all parts (1 if there are no links).
fn typical_link(parts: &[Vec<[f64; 2]>], springs: &Springs, members: &[Vec<u32>]) -> f64 {
    // Where each node sits in its part.
    let mut at = vec![0usize; springs.len()];
    for nodes in members {
        for (i, &v) in nodes.iter().enumerate() {
            at[v as usize] = i;
        }
    }
    let mut lengths = Vec::new();
    for (part, nodes) in parts.iter().zip(members) {
        for (i, &v) in nodes.iter().enumerate() {
            let row = springs.offsets[v as usize]..springs.offsets[v as usize + 1];
            for &u in &springs.neighbours[row] {
                if u > v {
                    let (p, q) = (part[i], part[at[u as usize]]);
                    lengths.push(((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2)).sqrt());
                }
            }
        }
    }
    if lengths.is_empty() {
        return 1.0;
    }
    lengths.sort_by(f64::total_cmp);
    lengths[lengths.len() / 2].max(1e-9)
}

/// ForceAtlas2 on `springs` (local indices); `ids` are the nodes' indices in the whole graph,
/// which key their random starting positions.
fn force_atlas(
    springs: &Springs,
    ids: &[u32],
    run: &Run,
    cancel: &Cancel,
) -> Result<Vec<[f64; 2]>> {
    let n = springs.len();
    if n <= 1 {
        return Ok(vec![[0.0, 0.0]; n]);
    }
    let scale = (n as f64).sqrt();
    let mut pos: Vec<[f64; 2]> = ids
        .iter()
        .map(|&i| {
            let mut rng = stream(run.seed, u64::from(i));
            [
                scale * (2.0 * rng.random::<f64>() - 1.0),
                scale * (2.0 * rng.random::<f64>() - 1.0),
            ]
        })
        .collect();
    let mass: Vec<f64> = (0..n).map(|v| 1.0 + springs.degree(v) as f64).collect();
    let k_r = run.k_r;
    let theta = run.theta.unwrap_or(if n < EXACT_BELOW { 0.0 } else { 1.2 });
    let mut old = vec![[0.0f64; 2]; n];
    let (mut speed, mut efficiency) = (1.0f64, 1.0f64);
    for _ in 0..run.steps {
        cancel.check()?;
        let tree = QuadTree::build(&pos, &mass);
        let force = ordered_map(
            n,
            cancel,
            || Vec::with_capacity(64),
            |v, stack| {
                let p = pos[v];
                let m = mass[v];
                let mut f = tree.repulsion(v as u32, k_r, theta, stack);
                let row = springs.offsets[v]..springs.offsets[v + 1];
                for (k, &u) in springs.neighbours[row.clone()].iter().enumerate() {
                    let q = pos[u as usize];
                    let (dx, dy) = (p[0] - q[0], p[1] - q[1]);
                    let w = springs.weights.as_ref().map_or(1.0, |w| w[row.start + k]);
                    let s = if run.linlog {
                        let d = (dx * dx + dy * dy).sqrt();
                        if d > 0.0 {
                            w * (1.0 + d).ln() / d
                        } else {
                            0.0
                        }
                    } else {
                        w
                    };
                    f[0] -= dx * s;
                    f[1] -= dy * s;
                }
                let d = (p[0] * p[0] + p[1] * p[1]).sqrt();
                if d > 0.0 {
                    let s = if run.strong_gravity {
                        run.gravity * m
                    } else {
                        run.gravity * m / d
                    };
                    f[0] -= p[0] * s;
                    f[1] -= p[1] * s;
                }
                f
            },
        )?;
        // Global swing and traction, summed in node order.
        let (mut swing, mut traction) = (0.0, 0.0);
        let mut swinging = vec![0.0; n];
        for v in 0..n {
            let (f, o) = (force[v], old[v]);
            let sw = ((o[0] - f[0]).powi(2) + (o[1] - f[1]).powi(2)).sqrt();
            swinging[v] = mass[v] * sw;
            swing += swinging[v];
            traction += 0.5 * mass[v] * ((o[0] + f[0]).powi(2) + (o[1] + f[1]).powi(2)).sqrt();
        }
        if !(swing > 0.0 && traction > 0.0) {
            break; // nothing moves: an equilibrium
        }
        (speed, efficiency) =
            adapt_speed(n, swing, traction, speed, efficiency, run.jitter_tolerance);
        for v in 0..n {
            let factor = speed / (1.0 + (speed * swinging[v]).sqrt());
            pos[v][0] += force[v][0] * factor;
            pos[v][1] += force[v][1] * factor;
        }
        old = force;
        if pos.iter().any(|p| !(p[0].is_finite() && p[1].is_finite())) {
            return Err(Error::NotConverged {
                model: "layout",
                iterations: run.steps,
                hint: "positions left the floating-point range; lower scaling or raise gravity"
                    .into(),
            });
        }
    }
    Ok(pos)
}

/// Gephi's global speed adaptation: returns the new speed and speed efficiency.
fn adapt_speed(
    n: usize,
    swing: f64,
    traction: f64,
    speed: f64,
    efficiency: f64,
    tolerance: f64,
) -> (f64, f64) {
    let optimal = 0.05 * (n as f64).sqrt();
    let lowest = optimal.sqrt();
    let highest: f64 = 10.0;
    let mut jitter = tolerance * lowest.max(highest.min(optimal * traction / (n as f64).powi(2)));
    let min_efficiency = 0.05;
    let mut efficiency = efficiency;
    if swing / traction > 2.0 {
        if efficiency > min_efficiency {
            efficiency *= 0.5;
        }
        jitter = jitter.max(tolerance);
    }
    let target = jitter * efficiency * traction / swing;
    if swing > jitter * traction {
        if efficiency > min_efficiency {
            efficiency *= 0.7;
        }
    } else if speed < 1000.0 {
        efficiency *= 1.3;
    }
    let rise = 0.5;
    (speed + (target - speed).min(rise * speed), efficiency)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::GraphOptions;
    use aluna_core::parallel::install;

    fn graph(n: i64, edges: &[(u32, u32)], directed: bool) -> CaseGraph {
        let options = GraphOptions {
            directed,
            ..Default::default()
        };
        CaseGraph::from_index_pairs(n as u32, edges, options).unwrap()
    }

    /// Two dense blocks of `size` nodes joined by one link, from a fixed pseudo-random pattern.
    fn two_blocks(size: u32) -> CaseGraph {
        let mut edges = Vec::new();
        for block in 0..2 {
            let base = block * size;
            for a in 0..size {
                for b in a + 1..size {
                    if (a * 7 + b * 13) % 3 != 0 {
                        edges.push((base + a, base + b));
                    }
                }
            }
        }
        edges.push((0, size));
        graph(2 * i64::from(size), &edges, false)
    }

    fn mean_distance(xy: &[[f64; 2]], pairs: impl Iterator<Item = (usize, usize)>) -> f64 {
        let (mut total, mut count) = (0.0, 0.0);
        for (a, b) in pairs {
            total += ((xy[a][0] - xy[b][0]).powi(2) + (xy[a][1] - xy[b][1]).powi(2)).sqrt();
            count += 1.0;
        }
        total / count
    }

    #[test]
    fn blocks_are_drawn_apart() {
        let size = 30usize;
        let g = two_blocks(size as u32);
        for theta in [Some(0.0), Some(1.2)] {
            let options = LayoutOptions {
                theta,
                ..Default::default()
            };
            let xy = layout(&g, &options, &Cancel::new()).unwrap();
            let within = mean_distance(
                &xy,
                (0..size).flat_map(|a| (a + 1..size).map(move |b| (a, b))),
            );
            let between = mean_distance(
                &xy,
                (0..size).flat_map(|a| (size..2 * size).map(move |b| (a, b))),
            );
            assert!(within < 0.5 * between, "{theta:?}: {within} vs {between}");
        }
    }

    fn extent(xy: &[[f64; 2]]) -> f64 {
        let (mut lo, mut hi) = ([f64::MAX; 2], [f64::MIN; 2]);
        for p in xy {
            for d in 0..2 {
                lo[d] = lo[d].min(p[d]);
                hi[d] = hi[d].max(p[d]);
            }
        }
        (hi[0] - lo[0]).max(hi[1] - lo[1])
    }

    #[test]
    fn components_are_packed_close_to_the_largest() {
        // Two blocks of 30 (one component) and ten isolated people.
        let size = 30u32;
        let mut edges = Vec::new();
        for a in 0..2 * size {
            for b in a + 1..2 * size {
                if a / size == b / size && (a * 7 + b * 13) % 3 != 0 || (a, b) == (0, size) {
                    edges.push((a, b));
                }
            }
        }
        let g = graph(70, &edges, false);
        let cancel = Cancel::new();
        let packed = layout(&g, &LayoutOptions::default(), &cancel).unwrap();
        let loose = layout(
            &g,
            &LayoutOptions {
                pack_components: false,
                ..Default::default()
            },
            &cancel,
        )
        .unwrap();
        let big = 2 * size as usize;
        let packed_ratio = extent(&packed) / extent(&packed[..big]);
        let loose_ratio = extent(&loose) / extent(&loose[..big]);
        assert!(packed_ratio < 1.5, "{packed_ratio}");
        assert!(
            loose_ratio > packed_ratio,
            "{loose_ratio} vs {packed_ratio}"
        );
        // No two packed nodes coincide.
        for i in 0..70 {
            for j in i + 1..70 {
                assert_ne!(packed[i], packed[j]);
            }
        }
    }

    #[test]
    fn barnes_hut_repulsion_approximates_the_exact_one() {
        let n = 2000;
        let mut rng = stream(3, 0);
        let pos: Vec<[f64; 2]> = (0..n)
            .map(|_| [rng.random::<f64>() * 50.0, rng.random::<f64>() * 20.0])
            .collect();
        let mass: Vec<f64> = (0..n).map(|i| 1.0 + (i % 5) as f64).collect();
        let tree = QuadTree::build(&pos, &mass);
        let mut stack = Vec::new();
        let (mut err, mut norm) = (0.0, 0.0);
        for i in (0..n).step_by(37) {
            let exact = tree.repulsion(i as u32, 2.0, 0.0, &mut stack);
            let mut direct = [0.0, 0.0];
            for j in 0..n {
                if j != i {
                    let (dx, dy) = (pos[i][0] - pos[j][0], pos[i][1] - pos[j][1]);
                    let s = 2.0 * mass[i] * mass[j] / (dx * dx + dy * dy);
                    direct[0] += dx * s;
                    direct[1] += dy * s;
                }
            }
            // theta = 0 is the exact sum (up to summation order).
            assert!((exact[0] - direct[0]).abs() <= 1e-9 * (1.0 + direct[0].abs()));
            assert!((exact[1] - direct[1]).abs() <= 1e-9 * (1.0 + direct[1].abs()));
            let approx = tree.repulsion(i as u32, 2.0, 0.5, &mut stack);
            err += (approx[0] - direct[0]).powi(2) + (approx[1] - direct[1]).powi(2);
            norm += direct[0].powi(2) + direct[1].powi(2);
        }
        assert!(
            (err / norm).sqrt() < 0.02,
            "relative error {}",
            (err / norm).sqrt()
        );
    }

    #[test]
    fn identical_for_any_thread_count_and_seeded() {
        let g = two_blocks(40);
        let options = LayoutOptions {
            theta: Some(1.0),
            iterations: Some(60),
            ..Default::default()
        };
        let run = |threads: usize, seed: u64| {
            install(Some(threads), || {
                layout(&g, &LayoutOptions { seed, ..options }, &Cancel::new())
            })
            .unwrap()
            .unwrap()
        };
        let bits = |xy: Vec<[f64; 2]>| {
            xy.iter()
                .flat_map(|p| [p[0].to_bits(), p[1].to_bits()])
                .collect::<Vec<_>>()
        };
        let one = bits(run(1, 5));
        assert_eq!(one, bits(run(2, 5)));
        assert_eq!(one, bits(run(3, 5)));
        assert_ne!(one, bits(run(1, 6)));
    }

    #[test]
    fn small_and_degenerate_graphs() {
        let cancel = Cancel::new();
        let empty = graph(0, &[], false);
        assert!(layout(&empty, &LayoutOptions::default(), &cancel)
            .unwrap()
            .is_empty());
        let one = graph(1, &[], false);
        assert_eq!(
            layout(&one, &LayoutOptions::default(), &cancel).unwrap(),
            vec![[0.0, 0.0]]
        );
        // Isolated nodes and a self-loop stay finite; directed links attract as undirected.
        let g = graph(5, &[(0, 0), (1, 2), (2, 1)], true);
        let xy = layout(&g, &LayoutOptions::default(), &cancel).unwrap();
        assert!(xy.iter().all(|p| p[0].is_finite() && p[1].is_finite()));
    }

    #[test]
    fn bad_options_are_argument_errors() {
        let g = graph(3, &[(0, 1)], false);
        let cancel = Cancel::new();
        let cases = [
            (
                LayoutOptions {
                    scaling: Some(0.0),
                    ..Default::default()
                },
                "scaling",
            ),
            (
                LayoutOptions {
                    gravity: f64::NAN,
                    ..Default::default()
                },
                "gravity",
            ),
            (
                LayoutOptions {
                    theta: Some(-1.0),
                    ..Default::default()
                },
                "theta",
            ),
            (
                LayoutOptions {
                    jitter_tolerance: 0.0,
                    ..Default::default()
                },
                "jitter_tolerance",
            ),
            (
                LayoutOptions {
                    weighted: true,
                    ..Default::default()
                },
                "weight",
            ),
        ];
        for (options, name) in cases {
            match layout(&g, &options, &cancel) {
                Err(Error::InvalidArgument { name: got, .. }) => assert_eq!(got, name),
                other => panic!("{name}: {other:?}"),
            }
        }
    }

    #[test]
    fn cancelled() {
        let g = two_blocks(10);
        let cancel = Cancel::new();
        cancel.cancel();
        assert_eq!(
            layout(&g, &LayoutOptions::default(), &cancel),
            Err(Error::Cancelled)
        );
    }
}
