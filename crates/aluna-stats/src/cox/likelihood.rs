//! The Cox log partial likelihood, its score and its information, evaluated over a centred copy
//! of the design sorted into sweep order and stored by column.
//!
//! Rows are sorted by stratum, then by stop time (descending), with the events of each tie group
//! first. Groups of consecutive tie groups of one stratum (about [`BLOCK`] rows) are the blocks of
//! the sweep; blocks longer than that are cut into pieces for the passes over rows. One
//! evaluation at `β` is:
//!
//! 1. a parallel pass over the pieces: `η = Xβ`, the weighted risk scores `w e^η` and each
//!    piece's `Σ w e^η x`;
//! 2. a sequential pass over the tie groups with scalars only: the risk sets' `S0`, Efron's sums
//!    `a = Σ_l 1/den_l`, `b = Σ_l f_l/den_l` (with `f_l = l/d`) and their squares, the
//!    log-likelihood, and the running sum `C` of `scale · a` down the times;
//! 3. a parallel pass over the pieces: each row's weight in the information,
//!    `u_i = w_i e^{η_i} (C(exit_i) − C(entry_i) − [event] scale b)`, the sums `Σ u x` (the
//!    risk-set part of the score) and `Σ u x xᵀ` (the `S2` part of the information, through the
//!    Gram kernel); and, per block, starting from the block's offset (the previous blocks'
//!    totals), the risk sets' `S1` at each event time for the `Σ (…) S1 S1ᵀ` part.
//!
//! Every sum runs in a fixed order over fixed pieces and blocks, added in order: the same bits
//! for any number of threads.

use std::ops::Range;

use ndarray::Array2;
use rayon::prelude::*;

use super::{Order, Ties};
use crate::columns::{cross_upper, dot, linear_predictor, scale_dot, sum, weight_total, Columns};
use crate::design::{add_in_order, symmetric_from_upper, BLOCK};
use crate::survival::SurvivalData;

/// Rows per sub-block of a piece: its columns stay in the core's cache between the steps.
const SUB: usize = 512;

/// Tie groups shorter than this add their rows one by one rather than by column dot products.
const SHORT: usize = 16;

/// Rows of one stratum sharing a stop time.
struct Group {
    /// Positions in sweep order; the first `events` are the events.
    rows: Range<usize>,
    /// Rows with an event and a positive weight.
    events: usize,
    /// Σ w over the events.
    event_weight: f64,
    /// Rows leaving the risk set here (entry ≥ this time): a range of `leaving`.
    leaving: Range<usize>,
}

/// Consecutive tie groups of one stratum.
struct Block {
    groups: Range<usize>,
    /// Whether the block starts its stratum (the risk set starts empty).
    first: bool,
    stratum: usize,
    /// The pieces covering the block's rows.
    pieces: Range<usize>,
}

/// Per tie group, what the sequential pass hands to the parallel one.
#[derive(Clone, Copy, Default)]
struct Efron {
    /// `C` before this group's term.
    before: f64,
    /// `scale · b`, subtracted from the events' `C`.
    tie: f64,
    /// `scale · (q0, q1, q2)`, the coefficients of `S1 S1ᵀ`, `S1 S1dᵀ + S1d S1ᵀ`, `S1d S1dᵀ`.
    q: [f64; 3],
}

/// The centred design in sweep order, by column, with its tie groups, blocks and pieces.
pub(super) struct PartialLikelihood {
    n: usize,
    p: usize,
    /// Column `j` is `x[j n .. (j + 1) n]`.
    x: Vec<f64>,
    weight: Option<Vec<f64>>,
    event: Vec<bool>,
    groups: Vec<Group>,
    /// Positions leaving the risk set, in the order of their groups.
    leaving: Vec<usize>,
    blocks: Vec<Block>,
    pieces: Vec<Range<usize>>,
    /// Per position: its tie group.
    entry_mark: Vec<u32>,
    /// Per position: the group where it leaves, or `groups.len() + stratum` if it never does.
    exit_mark: Vec<u32>,
    strata: usize,
    /// `Σ w x` over the events.
    event_sum: Vec<f64>,
    /// The weighted column means the copy is centred on.
    means: Vec<f64>,
    /// Each piece's `Σ w x`: the first pass's sums at `β = 0`.
    null_totals: Vec<Vec<f64>>,
    ties: Ties,
}

/// The log partial likelihood, score and information at one `β`.
pub(super) struct Evaluation {
    pub(super) log_likelihood: f64,
    pub(super) score: Vec<f64>,
    pub(super) information: Array2<f64>,
}

impl PartialLikelihood {
    /// Sort the rows of `x` (one per row of `data`) into sweep order and centre them on their
    /// weighted means.
    pub(super) fn new(x: &Columns<'_>, data: &SurvivalData, ties: Ties) -> Self {
        let (n, p) = (data.len(), x.cols());
        let order = Order::new(data);
        let is_event = |i: usize| data.event[i] > 0 && data.weight(i) > 0.0;
        let mut perm: Vec<usize> = Vec::with_capacity(n);
        let mut groups = Vec::new();
        let mut leaving_rows = Vec::new();
        let mut strata_groups = Vec::with_capacity(order.by_stop.len());
        for (s, rows) in order.by_stop.iter().enumerate() {
            let starts = &order.by_start[s];
            let first_group = groups.len();
            let (mut ip, mut is) = (0, 0);
            while ip < rows.len() {
                let t = data.time[rows[ip]];
                let first = ip;
                while ip < rows.len() && data.time[rows[ip]] == t {
                    ip += 1;
                }
                let start = perm.len();
                perm.extend(rows[first..ip].iter().filter(|&&i| is_event(i)));
                let events = perm.len() - start;
                perm.extend(rows[first..ip].iter().filter(|&&i| !is_event(i)));
                let event_weight = perm[start..start + events]
                    .iter()
                    .map(|&i| data.weight(i))
                    .sum();
                let lead = leaving_rows.len();
                while is < starts.len() && data.start(starts[is]) >= t {
                    leaving_rows.push(starts[is]);
                    is += 1;
                }
                groups.push(Group {
                    rows: start..perm.len(),
                    events,
                    event_weight,
                    leaving: lead..leaving_rows.len(),
                });
            }
            strata_groups.push(first_group..groups.len());
        }
        let mut position = vec![0usize; n];
        for (k, &i) in perm.iter().enumerate() {
            position[i] = k;
        }
        let leaving: Vec<usize> = leaving_rows.iter().map(|&i| position[i]).collect();
        let mut entry_mark = vec![0u32; n];
        let mut exit_mark = vec![0u32; n];
        for (s, range) in strata_groups.iter().enumerate() {
            for g in range.clone() {
                let group = &groups[g];
                for k in group.rows.clone() {
                    entry_mark[k] = g as u32;
                    exit_mark[k] = (groups.len() + s) as u32;
                }
            }
        }
        for (g, group) in groups.iter().enumerate() {
            for &k in &leaving[group.leaving.clone()] {
                exit_mark[k] = g as u32;
            }
        }
        let (blocks, pieces) = plan_blocks(&groups, &strata_groups);
        let weight: Option<Vec<f64>> = data
            .weights
            .as_ref()
            .map(|_| perm.iter().map(|&i| data.weight(i)).collect());
        let event: Vec<bool> = perm.iter().map(|&i| is_event(i)).collect();
        let events: Vec<Range<usize>> = groups
            .iter()
            .map(|g| g.rows.start..g.rows.start + g.events)
            .collect();
        let sorted = sorted_columns(
            x,
            data.weights.as_deref(),
            &perm,
            weight.as_deref(),
            &events,
            &pieces,
        );
        Self {
            n,
            p,
            x: sorted.x,
            means: sorted.means,
            weight,
            event,
            groups,
            leaving,
            blocks,
            pieces,
            entry_mark,
            exit_mark,
            strata: strata_groups.len(),
            event_sum: sorted.event_sum,
            null_totals: sorted.piece_sums,
            ties,
        }
    }

    /// The weighted column means the design was centred on.
    pub(super) fn means(&self) -> &[f64] {
        &self.means
    }

    /// Rows `range` of column `j`.
    #[inline]
    fn column(&self, j: usize, range: Range<usize>) -> &[f64] {
        &self.x[j * self.n + range.start..j * self.n + range.end]
    }

    fn columns(&self, range: Range<usize>) -> Vec<&[f64]> {
        (0..self.p).map(|j| self.column(j, range.clone())).collect()
    }

    /// The unweighted sum of squares of each column about its unweighted mean.
    pub(super) fn sums_of_squares(&self) -> Vec<f64> {
        let n = self.n as f64;
        (0..self.p)
            .into_par_iter()
            .map(|j| {
                let col = self.column(j, 0..self.n);
                let total = sum(col);
                dot(col, col) - total * total / n.max(1.0)
            })
            .collect()
    }

    /// Add `Σ u x` and the upper triangle of `Σ u x xᵀ` over rows `range` to `acc`
    /// (`p` then `p × p` values), sub-block by sub-block.
    fn add_cross(&self, range: Range<usize>, u: &[f64], acc: &mut [f64]) {
        let p = self.p;
        let (sums, cross) = acc.split_at_mut(p);
        let mut z = vec![0.0; p * SUB];
        let subs = aluna_core::parallel::chunks(range.len(), SUB);
        for (s, sub) in subs.iter().enumerate() {
            let rows = range.start + sub.start..range.start + sub.end;
            let m = rows.len();
            let x = self.columns(rows);
            let next = subs
                .get(s + 1)
                .map(|r| self.columns(range.start + r.start..range.start + r.end))
                .unwrap_or_default();
            let us = &u[sub.clone()];
            let z = &mut z[..p * m];
            for ((total, col), zj) in sums.iter_mut().zip(&x).zip(z.chunks_exact_mut(m)) {
                *total += scale_dot(col, us, us, zj);
            }
            let zs: Vec<&[f64]> = z.chunks_exact(m).collect();
            cross_upper(&zs, &x, &next, cross);
        }
    }

    /// Log partial likelihood, score and information at `beta`.
    pub(super) fn evaluate(&self, beta: &[f64]) -> Evaluation {
        let p = self.p;
        let (risk, totals) = if beta.iter().all(|&b| b == 0.0) {
            // Every risk score is 1: the first pass's sums were taken with the sorted copy.
            let risk = self.weight.clone().unwrap_or_else(|| vec![1.0; self.n]);
            (risk, self.null_totals.clone())
        } else {
            let mut risk = vec![0.0; self.n];
            let totals = self.risk_pass(beta, &mut risk);
            (risk, totals)
        };
        let (log_likelihood, efron, ends) = self.scalar_sweep(&risk);
        let sums = self.second_pass(&risk, &totals, &efron, ends);
        let mut score = self.event_sum.clone();
        for (g, s) in score.iter_mut().zip(&sums[..p]) {
            *g -= s;
        }
        let log_likelihood = log_likelihood
            + self
                .event_sum
                .iter()
                .zip(beta)
                .map(|(s, b)| s * b)
                .sum::<f64>();
        let cross = symmetric_from_upper(&sums[p..p + p * p], p);
        let outer = symmetric_from_upper(&sums[p + p * p..], p);
        Evaluation {
            log_likelihood,
            score,
            information: cross - outer,
        }
    }

    /// The first pass, over the pieces in parallel: `w e^η` of every row into `risk`, and each
    /// piece's `Σ w e^η x` (summed sub-block by sub-block while its columns are in cache).
    fn risk_pass(&self, beta: &[f64], risk: &mut [f64]) -> Vec<Vec<f64>> {
        let mut slices = Vec::with_capacity(self.pieces.len());
        let mut rest = risk;
        for range in &self.pieces {
            let (head, tail) = rest.split_at_mut(range.len());
            slices.push(head);
            rest = tail;
        }
        self.pieces
            .par_iter()
            .zip(slices)
            .map(|(range, out)| {
                let mut total = vec![0.0; self.p];
                for sub in aluna_core::parallel::chunks(range.len(), SUB) {
                    let rows = range.start + sub.start..range.start + sub.end;
                    let x = self.columns(rows.clone());
                    let r = &mut out[sub];
                    linear_predictor(&x, beta, r);
                    match &self.weight {
                        None => r.iter_mut().for_each(|v| *v = v.exp()),
                        Some(w) => r
                            .iter_mut()
                            .zip(&w[rows])
                            .for_each(|(v, w)| *v = w * v.exp()),
                    }
                    for (t, col) in total.iter_mut().zip(&x) {
                        *t += dot(r, col);
                    }
                }
                total
            })
            .collect()
    }

    /// The second pass: `Σ u x`, `Σ u x xᵀ` and `Σ (…) S1 S1ᵀ` (the
    /// returned layout: `p`, then two `p × p` upper triangles), from the weighted risk scores,
    /// each piece's `Σ w e^η x` and the sweep's terms.
    fn second_pass(
        &self,
        risk: &[f64],
        piece_totals: &[Vec<f64>],
        efron: &[Efron],
        ends: Vec<f64>,
    ) -> Vec<f64> {
        let p = self.p;
        // Each block's starting S1: the totals of the earlier blocks of its stratum.
        let leaving_totals: Vec<Vec<f64>> = if self.leaving.is_empty() {
            Vec::new()
        } else {
            self.blocks
                .par_iter()
                .map(|b| self.leaving_total(b, risk))
                .collect()
        };
        let mut offsets = Vec::with_capacity(self.blocks.len());
        let mut running = vec![0.0; p];
        for (k, block) in self.blocks.iter().enumerate() {
            if block.first {
                running.iter_mut().for_each(|v| *v = 0.0);
            }
            offsets.push(running.clone());
            for total in &piece_totals[block.pieces.clone()] {
                running.iter_mut().zip(total).for_each(|(r, t)| *r += t);
            }
            if let Some(total) = leaving_totals.get(k) {
                running.iter_mut().zip(total).for_each(|(r, t)| *r -= t);
            }
        }
        let marks: Vec<f64> = efron.iter().map(|e| e.before).chain(ends).collect();
        let mut owner = vec![None; self.pieces.len()];
        for (b, block) in self.blocks.iter().enumerate() {
            if let Some(last) = block.pieces.clone().last() {
                owner[last] = Some(b);
            }
        }
        let len = p + 2 * p * p;
        let parts: Vec<Vec<f64>> = self
            .pieces
            .par_iter()
            .zip(&owner)
            .map(|(range, block)| {
                let mut acc = vec![0.0; len];
                let u: Vec<f64> = range
                    .clone()
                    .map(|k| {
                        let g = self.entry_mark[k] as usize;
                        let mut c = marks[self.exit_mark[k] as usize] - marks[g];
                        if self.event[k] {
                            c -= efron[g].tie;
                        }
                        risk[k] * c
                    })
                    .collect();
                let (head, outer) = acc.split_at_mut(p + p * p);
                self.add_cross(range.clone(), &u, head);
                if let Some(b) = *block {
                    self.add_outer(&self.blocks[b], &offsets[b], risk, efron, outer);
                }
                acc
            })
            .collect();
        add_in_order(&parts, len)
    }

    /// Down the tie groups of each stratum: the risk sets' `S0`, the log-likelihood's
    /// risk-set part and each group's [`Efron`] terms; also `C` at the end of each stratum.
    fn scalar_sweep(&self, risk: &[f64]) -> (f64, Vec<Efron>, Vec<f64>) {
        let mut efron = vec![Efron::default(); self.groups.len()];
        let mut ends = vec![0.0; self.strata];
        let mut ll = 0.0;
        let (mut s0, mut total) = (0.0, 0.0);
        for block in &self.blocks {
            if block.first {
                s0 = 0.0;
                total = 0.0;
            }
            for g in block.groups.clone() {
                let group = &self.groups[g];
                let rows = group.rows.clone();
                let s0d = sum(&risk[rows.start..rows.start + group.events]);
                s0 += s0d + sum(&risk[rows.start + group.events..rows.end]);
                for &k in &self.leaving[group.leaving.clone()] {
                    s0 -= risk[k];
                }
                efron[g].before = total;
                let d = group.events;
                if d == 0 {
                    continue;
                }
                let (steps, scale) = match self.ties {
                    Ties::Efron => (d, group.event_weight / d as f64),
                    Ties::Breslow => (1, group.event_weight),
                };
                let e = EfronSums::new(s0, s0d, d, steps);
                ll -= scale * e.log_den;
                efron[g].tie = scale * e.b;
                efron[g].q = e.q.map(|v| scale * v);
                total += scale * e.a;
            }
            ends[block.stratum] = total;
        }
        (ll, efron, ends)
    }

    /// `Σ w e^η x` over the rows leaving the risk set in `block`.
    fn leaving_total(&self, block: &Block, risk: &[f64]) -> Vec<f64> {
        let mut total = vec![0.0; self.p];
        for group in &self.groups[block.groups.clone()] {
            for &k in &self.leaving[group.leaving.clone()] {
                for (j, t) in total.iter_mut().enumerate() {
                    *t += risk[k] * self.x[j * self.n + k];
                }
            }
        }
        total
    }

    /// Add `Σ_k scale (q0 S1 S1ᵀ − q1 (S1 S1dᵀ + S1d S1ᵀ) + q2 S1d S1dᵀ)` over the event times
    /// of `block` to the upper triangle `outer`, with `S1` starting at `offset`.
    fn add_outer(
        &self,
        block: &Block,
        offset: &[f64],
        risk: &[f64],
        efron: &[Efron],
        outer: &mut [f64],
    ) {
        let p = self.p;
        let mut s1 = offset.to_vec();
        let mut s1d = vec![0.0; p];
        for g in block.groups.clone() {
            let group = &self.groups[g];
            let events = group.rows.start..group.rows.start + group.events;
            let others = events.end..group.rows.end;
            s1d.iter_mut().for_each(|v| *v = 0.0);
            self.add_rows(&mut s1d, events, risk);
            s1.iter_mut().zip(&s1d).for_each(|(a, b)| *a += b);
            self.add_rows(&mut s1, others, risk);
            for &k in &self.leaving[group.leaving.clone()] {
                for (j, a) in s1.iter_mut().enumerate() {
                    *a -= risk[k] * self.x[j * self.n + k];
                }
            }
            if group.events == 0 {
                continue;
            }
            add_efron_outer(outer, &s1, &s1d, efron[g].q);
        }
    }

    /// `s[j] += Σ_{k ∈ rows} risk_k x_jk`.
    fn add_rows(&self, s: &mut [f64], rows: Range<usize>, risk: &[f64]) {
        if rows.len() >= SHORT {
            for (j, a) in s.iter_mut().enumerate() {
                *a += dot(&risk[rows.clone()], self.column(j, rows.clone()));
            }
        } else {
            for (j, a) in s.iter_mut().enumerate() {
                for k in rows.clone() {
                    *a += risk[k] * self.x[j * self.n + k];
                }
            }
        }
    }
}

/// Efron's sums at one event time over its `steps` denominators `den_l = s0 − f_l s0d`,
/// `f_l = l/d` (Breslow: one step, `f = 0`).
#[derive(Debug, Clone, Copy, PartialEq)]
struct EfronSums {
    /// `Σ ln den_l`.
    log_den: f64,
    /// `Σ 1/den_l`.
    a: f64,
    /// `Σ f_l/den_l`.
    b: f64,
    /// `Σ (1, f_l, f_l²)/den_l²`.
    q: [f64; 3],
}

impl EfronSums {
    /// The sums in four lanes. The logarithms are taken as `steps · ln s0 + Σ ln Π (1 − f_l r)`
    /// with `r = s0d/s0 ≤ 1`, one logarithm per sixteen factors, each factor in `[1/d, 1]`
    /// (so a product cannot underflow before `d` reaches 10¹⁹).
    fn new(s0: f64, s0d: f64, d: usize, steps: usize) -> Self {
        const LANES: usize = 4;
        const RUN: usize = 8 * LANES;
        let scale = 1.0 / d as f64;
        let r = s0d / s0;
        let mut sums = [[0.0f64; LANES]; 5];
        let mut log_den = steps as f64 * s0.ln();
        let mut add = |lane: usize, l: usize, prod: &mut [f64; LANES]| {
            let f = l as f64 * scale;
            prod[lane] *= 1.0 - f * r;
            let inv = 1.0 / (s0 - f * s0d);
            let inv2 = inv * inv;
            sums[0][lane] += inv;
            sums[1][lane] += f * inv;
            sums[2][lane] += inv2;
            sums[3][lane] += f * inv2;
            sums[4][lane] += f * f * inv2;
        };
        let mut start = 0;
        while start < steps {
            let end = (start + RUN).min(steps);
            let mut prod = [1.0f64; LANES];
            let mut l = start;
            while l + LANES <= end {
                for lane in 0..LANES {
                    add(lane, l + lane, &mut prod);
                }
                l += LANES;
            }
            for (lane, l) in (l..end).enumerate() {
                add(lane, l, &mut prod);
            }
            log_den += (prod[0] * prod[1]).ln() + (prod[2] * prod[3]).ln();
            start = end;
        }
        let total = |s: &[f64; LANES]| (s[0] + s[1]) + (s[2] + s[3]);
        Self {
            log_den,
            a: total(&sums[0]),
            b: total(&sums[1]),
            q: [total(&sums[2]), total(&sums[3]), total(&sums[4])],
        }
    }
}

/// Add `q0 S1 S1ᵀ − q1 (S1 S1dᵀ + S1d S1ᵀ) + q2 S1d S1dᵀ` (Efron's `Σ_l x̄_l x̄_lᵀ / den_l²`
/// with `x̄_l den_l = S1 − f_l S1d`, times the events' mean weight) to the upper triangle of
/// `outer`.
fn add_efron_outer(outer: &mut [f64], s1: &[f64], s1d: &[f64], [q0, q1, q2]: [f64; 3]) {
    let p = s1.len();
    for j in 0..p {
        let row = &mut outer[j * p..(j + 1) * p];
        if q1 == 0.0 && q2 == 0.0 {
            let c = q0 * s1[j];
            for k in j..p {
                row[k] += c * s1[k];
            }
        } else {
            let (c0, c1, c2) = (q0 * s1[j] - q1 * s1d[j], q1 * s1[j], q2 * s1d[j]);
            for k in j..p {
                row[k] += c0 * s1[k] - c1 * s1d[k] + c2 * s1d[k];
            }
        }
    }
}

/// Blocks of consecutive tie groups of one stratum, closed once they hold [`BLOCK`] rows, and
/// pieces of at most [`BLOCK`] rows covering each block in turn.
fn plan_blocks(groups: &[Group], strata: &[Range<usize>]) -> (Vec<Block>, Vec<Range<usize>>) {
    let mut blocks = Vec::new();
    let mut pieces = Vec::new();
    let mut close = |range: Range<usize>, first: bool, stratum: usize, blocks: &mut Vec<Block>| {
        let rows = groups[range.start].rows.start..groups[range.end - 1].rows.end;
        let before = pieces.len();
        for chunk in aluna_core::parallel::chunks(rows.len(), BLOCK) {
            pieces.push(rows.start + chunk.start..rows.start + chunk.end);
        }
        blocks.push(Block {
            groups: range,
            first,
            stratum,
            pieces: before..pieces.len(),
        });
    };
    for (s, range) in strata.iter().enumerate() {
        let mut start = range.start;
        let mut rows = 0;
        for g in range.clone() {
            rows += groups[g].rows.len();
            if rows >= BLOCK || g + 1 == range.end {
                close(start..g + 1, start == range.start, s, &mut blocks);
                start = g + 1;
                rows = 0;
            }
        }
    }
    (blocks, pieces)
}

/// The design sorted and centred, by column, with what was computed along the way.
struct Sorted {
    /// Column `j` is `x[j n .. (j + 1) n]`.
    x: Vec<f64>,
    means: Vec<f64>,
    event_sum: Vec<f64>,
    /// Per piece, each column's `Σ w x`.
    piece_sums: Vec<Vec<f64>>,
}

/// The rows `perm` of `x`, centred on their means (weighted by `weights`, in the rows' own
/// order), by column, and each column's `Σ w x` over the sorted rows `events` and over each of
/// `pieces` (`weight`: the sorted weights). Columns are done in parallel, each in three steps
/// while it is in cache: its mean (which also brings it in), the gather, the sums.
fn sorted_columns(
    x: &Columns<'_>,
    weights: Option<&[f64]>,
    perm: &[usize],
    weight: Option<&[f64]>,
    events: &[Range<usize>],
    pieces: &[Range<usize>],
) -> Sorted {
    let (n, p) = (perm.len(), x.cols());
    let total = weight_total(n, weights);
    let mut out = Sorted {
        x: vec![0.0; n * p],
        means: vec![0.0; p],
        event_sum: vec![0.0; p],
        piece_sums: Vec::new(),
    };
    if n == 0 {
        return out;
    }
    let weighted_sum = |col: &[f64], range: &Range<usize>| match weight {
        Some(w) => dot(&w[range.clone()], &col[range.clone()]),
        None => sum(&col[range.clone()]),
    };
    let by_column: Vec<Vec<f64>> = out
        .x
        .par_chunks_mut(n)
        .zip(&mut out.means)
        .zip(&mut out.event_sum)
        .enumerate()
        .map(|(j, ((col, mean), event_sum))| {
            let m = x.mean(j, weights, total);
            *mean = m;
            match x.column(j) {
                Some(v) => col.iter_mut().zip(perm).for_each(|(o, &i)| *o = v[i] - m),
                None => col.iter_mut().for_each(|o| *o = 1.0 - m),
            }
            for range in events {
                *event_sum += weighted_sum(col, range);
            }
            pieces
                .iter()
                .map(|range| weighted_sum(col, range))
                .collect()
        })
        .collect();
    out.piece_sums = (0..pieces.len())
        .map(|k| by_column.iter().map(|sums| sums[k]).collect())
        .collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sums one step at a time, as the formulas read.
    fn naive(s0: f64, s0d: f64, d: usize, steps: usize) -> EfronSums {
        let mut e = EfronSums {
            log_den: 0.0,
            a: 0.0,
            b: 0.0,
            q: [0.0; 3],
        };
        for l in 0..steps {
            let f = l as f64 / d as f64;
            let den = s0 - f * s0d;
            e.log_den += den.ln();
            e.a += 1.0 / den;
            e.b += f / den;
            e.q[0] += 1.0 / (den * den);
            e.q[1] += f / (den * den);
            e.q[2] += f * f / (den * den);
        }
        e
    }

    #[test]
    fn efron_sums_agree_with_the_formulas() {
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs().max(1e-300);
        // Breslow, one tie, a few, a run boundary, many; tiny and huge risk sets; every event
        // in the risk set (r = 1).
        for (s0, s0d, d, steps) in [
            (10.0, 1.0, 1, 1),
            (10.0, 4.0, 4, 1),
            (10.0, 4.0, 3, 3),
            (7.5, 2.5, 33, 33),
            (1e-150, 3e-151, 40, 40),
            (1e280, 9e279, 1000, 1000),
            (5.0, 5.0, 5000, 5000),
        ] {
            let (got, want) = (EfronSums::new(s0, s0d, d, steps), naive(s0, s0d, d, steps));
            assert!(close(got.log_den, want.log_den), "{got:?} {want:?}");
            assert!(
                close(got.a, want.a) && close(got.b, want.b),
                "{got:?} {want:?}"
            );
            for k in 0..3 {
                assert!(close(got.q[k], want.q[k]), "{got:?} {want:?}");
            }
        }
        // An empty risk set (risk scores underflowed) never gives a finite term: the Newton
        // step is then halved.
        assert!(!EfronSums::new(0.0, 0.0, 1, 1).log_den.is_finite());
        assert!(!EfronSums::new(0.0, 0.0, 3, 3).log_den.is_finite());
    }
}
