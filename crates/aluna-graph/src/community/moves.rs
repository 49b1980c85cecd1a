//! Moving nodes between communities: local moving from a queue, and Leiden's refinement.
//!
//! The gain of putting node `v` (out- and in-strength `ko`, `ki`) into community `C`, once `v`
//! has been taken out of its own, is `w(v, C) − (γ/M)(ko·In_C + ki·Out_C)` in arc weight, where
//! `w(v, C)` is the arc weight both ways between `v` and `C` (see [`super::network`]). A node moves
//! only for a gain larger than `1e-12 (ko + ki)` above staying, so rounding cannot make it cycle.

use std::collections::VecDeque;

use aluna_core::parallel::Cancel;
use aluna_core::random::ChaCha8Rng;
use aluna_core::Result;
use rand::seq::SliceRandom;
use rand::Rng;

use super::network::Network;

/// Poll the cancel flag every this many node visits.
const POLL: usize = 1 << 14;

/// Community totals: summed out- and in-strength and member count per community id.
struct Totals {
    out: Vec<f64>,
    inc: Vec<f64>,
    size: Vec<u32>,
}

impl Totals {
    fn new(net: &Network, membership: &[u32]) -> Self {
        let n = net.len();
        let mut t = Totals {
            out: vec![0.0; n],
            inc: vec![0.0; n],
            size: vec![0; n],
        };
        for (v, &c) in membership.iter().enumerate() {
            t.add(net, v, c);
        }
        t
    }

    #[inline]
    fn add(&mut self, net: &Network, v: usize, c: u32) {
        let c = c as usize;
        self.out[c] += net.out_strength[v];
        self.inc[c] += net.in_strength[v];
        self.size[c] += 1;
    }

    #[inline]
    fn remove(&mut self, net: &Network, v: usize, c: u32) {
        let c = c as usize;
        self.out[c] -= net.out_strength[v];
        self.inc[c] -= net.in_strength[v];
        self.size[c] -= 1;
        if self.size[c] == 0 {
            // Exactly empty: no rounding residue left behind.
            self.out[c] = 0.0;
            self.inc[c] = 0.0;
        }
    }
}

/// Arc weight from one node to each neighbouring community, gathered without allocation.
struct NeighbourWeights {
    weight: Vec<f64>,
    seen: Vec<bool>,
    touched: Vec<u32>,
}

impl NeighbourWeights {
    fn new(n: usize) -> Self {
        Self {
            weight: vec![0.0; n],
            seen: vec![false; n],
            touched: Vec::new(),
        }
    }

    /// Gather `v`'s weight to the communities of its neighbours (only those `keep` accepts).
    #[inline]
    fn gather(&mut self, net: &Network, v: usize, community: &[u32], keep: impl Fn(usize) -> bool) {
        let (nb, w) = net.row(v);
        for (&u, &x) in nb.iter().zip(w) {
            if !keep(u as usize) {
                continue;
            }
            let c = community[u as usize] as usize;
            if !self.seen[c] {
                self.seen[c] = true;
                self.touched.push(c as u32);
            }
            self.weight[c] += x;
        }
    }

    #[inline]
    fn get(&self, c: u32) -> f64 {
        if self.seen[c as usize] {
            self.weight[c as usize]
        } else {
            0.0
        }
    }

    fn clear(&mut self) {
        for &c in &self.touched {
            self.weight[c as usize] = 0.0;
            self.seen[c as usize] = false;
        }
        self.touched.clear();
    }
}

/// Gain of putting `v` into a community with totals `(out, inc)` and arc weight `w` to it.
#[inline]
fn gain(net: &Network, v: usize, w: f64, out: f64, inc: f64, scale: f64) -> f64 {
    w - scale * (net.out_strength[v] * inc + net.in_strength[v] * out)
}

#[inline]
fn tolerance(net: &Network, v: usize) -> f64 {
    1e-12 * (net.out_strength[v] + net.in_strength[v])
}

/// Fast local moving (Traag, Waltman & van Eck 2019): visit nodes from a queue (first all, in
/// random order), move each to the neighbouring community of largest gain (with `to_empty`, an
/// empty community too, as Leiden does), and queue its neighbours outside the new community that
/// are not queued yet. It stops where Louvain's repeated sweeps stop — no node can improve —
/// while revisiting only the nodes whose surroundings changed.
pub(crate) fn fast_local_move(
    net: &Network,
    membership: &mut [u32],
    resolution: f64,
    to_empty: bool,
    rng: &mut ChaCha8Rng,
    cancel: &Cancel,
) -> Result<()> {
    let n = net.len();
    if net.total <= 0.0 {
        return Ok(());
    }
    let scale = resolution / net.total;
    let mut totals = Totals::new(net, membership);
    let mut empty: Vec<u32> = (0..n as u32)
        .rev()
        .filter(|&c| totals.size[c as usize] == 0)
        .collect();
    let mut nw = NeighbourWeights::new(n);
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.shuffle(rng);
    let mut queue: VecDeque<u32> = order.into();
    let mut queued = vec![true; n];
    let mut visits = 0usize;
    while let Some(v) = queue.pop_front() {
        let v = v as usize;
        queued[v] = false;
        visits += 1;
        if visits.is_multiple_of(POLL) {
            cancel.check()?;
        }
        let d = membership[v];
        nw.gather(net, v, membership, |_| true);
        totals.remove(net, v, d);
        let mut best = d;
        let mut best_gain = gain(
            net,
            v,
            nw.get(d),
            totals.out[d as usize],
            totals.inc[d as usize],
            scale,
        );
        let tol = tolerance(net, v);
        for &c in &nw.touched {
            if c == d {
                continue;
            }
            let g = gain(
                net,
                v,
                nw.get(c),
                totals.out[c as usize],
                totals.inc[c as usize],
                scale,
            );
            if g > best_gain + tol {
                best = c;
                best_gain = g;
            }
        }
        // An empty community has gain 0; when `v` was alone, staying is the same thing.
        let mut emptied = false;
        if to_empty && totals.size[d as usize] > 0 && 0.0 > best_gain + tol {
            if let Some(&e) = empty.last() {
                best = e;
                emptied = true;
            }
        }
        totals.add(net, v, best);
        nw.clear();
        if best == d {
            continue;
        }
        if emptied {
            empty.pop();
        }
        if totals.size[d as usize] == 0 {
            empty.push(d);
        }
        membership[v] = best;
        let (nb, _) = net.row(v);
        for &u in nb {
            if membership[u as usize] != best && !queued[u as usize] {
                queued[u as usize] = true;
                queue.push_back(u);
            }
        }
    }
    Ok(())
}

/// Leiden's refinement: within each community of `membership`, start from singletons and merge
/// each node that is still alone and well connected to its community into a well-connected
/// sub-community, chosen at random with probability ∝ exp(ΔH/θ) among those it does not make
/// worse (ΔH in link weight, θ = `randomness`, as igraph does). Returns the refined partition
/// (ids are node indices).
pub(crate) fn refine(
    net: &Network,
    membership: &[u32],
    resolution: f64,
    randomness: f64,
    rng: &mut ChaCha8Rng,
    cancel: &Cancel,
) -> Result<Vec<u32>> {
    let n = net.len();
    let mut refined: Vec<u32> = (0..n as u32).collect();
    if net.total <= 0.0 {
        return Ok(refined);
    }
    let scale = resolution / net.total;
    let parent = Totals::new(net, membership);
    let mut own = Totals::new(net, &refined);
    // Arc weight from each refined community to the rest of its parent community.
    let mut external: Vec<f64> = (0..n)
        .map(|v| {
            let (nb, w) = net.row(v);
            nb.iter()
                .zip(w)
                .filter(|(&u, _)| membership[u as usize] == membership[v])
                .map(|(_, &x)| x)
                .sum()
        })
        .collect();
    let mut nw = NeighbourWeights::new(n);
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.shuffle(rng);
    // Units: arc weight is twice the link weight when undirected; ΔH is in link weight.
    let half = 0.5;
    let mut candidates: Vec<(u32, f64)> = Vec::new();
    for (visit, &v) in order.iter().enumerate() {
        if visit % POLL == POLL - 1 {
            cancel.check()?;
        }
        let v = v as usize;
        if refined[v] as usize != v || own.size[v] != 1 {
            continue;
        }
        let s = membership[v] as usize;
        let (s_out, s_in) = (parent.out[s], parent.inc[s]);
        // Is `v` well connected to the rest of its community?
        let (ko, ki) = (net.out_strength[v], net.in_strength[v]);
        let needed = scale * (ko * (s_in - ki) + ki * (s_out - ko));
        if external[v] < needed - tolerance(net, v) {
            continue;
        }
        nw.gather(net, v, &refined, |u| membership[u] as usize == s);
        own.remove(net, v, v as u32);
        candidates.clear();
        candidates.push((v as u32, 0.0));
        for &r in &nw.touched {
            let ri = r as usize;
            if ri == v {
                continue;
            }
            let (r_out, r_in) = (own.out[ri], own.inc[ri]);
            let well = scale * (r_out * (s_in - r_in) + r_in * (s_out - r_out));
            if external[ri] < well - 1e-12 * (r_out + r_in) {
                continue;
            }
            let g = gain(net, v, nw.get(r), r_out, r_in, scale);
            if g >= 0.0 {
                candidates.push((r, half * g));
            }
        }
        let top = candidates
            .iter()
            .map(|c| c.1)
            .fold(f64::NEG_INFINITY, f64::max);
        let mut cumulative = 0.0;
        for c in candidates.iter_mut() {
            cumulative += ((c.1 - top) / randomness).exp();
            c.1 = cumulative;
        }
        let draw = rng.random::<f64>() * cumulative;
        let chosen = candidates
            .iter()
            .find(|c| draw < c.1)
            .map_or(v as u32, |c| c.0);
        own.add(net, v, chosen);
        if chosen as usize != v {
            let w = nw.get(chosen);
            external[chosen as usize] += external[v] - 2.0 * w;
            refined[v] = chosen;
        }
        nw.clear();
    }
    Ok(refined)
}
