//! Connected components.

use aluna_core::Result;

use crate::CaseGraph;

/// Number components canonically: by size, largest first, ties by their first node index.
fn canonical(raw: &[u32]) -> Vec<u32> {
    let k = raw.iter().map(|&c| c as usize + 1).max().unwrap_or(0);
    let mut size = vec![0usize; k];
    let mut first = vec![u32::MAX; k];
    for (v, &c) in raw.iter().enumerate() {
        size[c as usize] += 1;
        first[c as usize] = first[c as usize].min(v as u32);
    }
    let mut order: Vec<usize> = (0..k).filter(|&c| size[c] > 0).collect();
    order.sort_by_key(|&c| (std::cmp::Reverse(size[c]), first[c]));
    let mut label = vec![0u32; k];
    for (new, &old) in order.iter().enumerate() {
        label[old] = new as u32;
    }
    raw.iter().map(|&c| label[c as usize]).collect()
}

/// Component of every node (weakly connected when directed), numbered 0, 1, … by size,
/// largest first (ties: the component holding the earlier node comes first).
///
/// Union–find with path halving over the edges: O(m α(n)).
pub fn connected_components(graph: &CaseGraph) -> Vec<u32> {
    let n = graph.number_of_nodes();
    let mut parent: Vec<u32> = (0..n as u32).collect();
    fn find(parent: &mut [u32], mut v: u32) -> u32 {
        while parent[v as usize] != v {
            let p = parent[v as usize];
            parent[v as usize] = parent[p as usize];
            v = parent[v as usize];
        }
        v
    }
    for (_, a, b) in graph.edges() {
        let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
        if ra != rb {
            let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
            parent[hi as usize] = lo;
        }
    }
    let raw: Vec<u32> = (0..n as u32).map(|v| find(&mut parent, v)).collect();
    canonical(&raw)
}

/// Strongly connected component of every node of a directed graph (for an undirected graph,
/// its connected components), numbered as in [`connected_components`].
///
/// Tarjan's algorithm (1972), iterative so that long chains cannot overflow the stack.
pub fn strongly_connected_components(graph: &CaseGraph) -> Result<Vec<u32>> {
    if !graph.is_directed() {
        return Ok(connected_components(graph));
    }
    const NONE: u32 = u32::MAX;
    let n = graph.number_of_nodes();
    let adj = graph.out_adjacency();
    let mut index = vec![NONE; n];
    let mut low = vec![0u32; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<u32> = Vec::new();
    let mut comp = vec![NONE; n];
    let mut next_index = 0u32;
    let mut next_comp = 0u32;
    // Call stack of (node, position in its neighbour list).
    let mut calls: Vec<(u32, usize)> = Vec::new();
    for root in 0..n as u32 {
        if index[root as usize] != NONE {
            continue;
        }
        calls.push((root, 0));
        index[root as usize] = next_index;
        low[root as usize] = next_index;
        next_index += 1;
        stack.push(root);
        on_stack[root as usize] = true;
        while let Some(&mut (v, ref mut pos)) = calls.last_mut() {
            let nbrs = adj.neighbours(v);
            if *pos < nbrs.len() {
                let w = nbrs[*pos];
                *pos += 1;
                if index[w as usize] == NONE {
                    index[w as usize] = next_index;
                    low[w as usize] = next_index;
                    next_index += 1;
                    stack.push(w);
                    on_stack[w as usize] = true;
                    calls.push((w, 0));
                } else if on_stack[w as usize] {
                    low[v as usize] = low[v as usize].min(index[w as usize]);
                }
                continue;
            }
            calls.pop();
            if let Some(&(parent, _)) = calls.last() {
                low[parent as usize] = low[parent as usize].min(low[v as usize]);
            }
            if low[v as usize] == index[v as usize] {
                while let Some(w) = stack.pop() {
                    on_stack[w as usize] = false;
                    comp[w as usize] = next_comp;
                    if w == v {
                        break;
                    }
                }
                next_comp += 1;
            }
        }
    }
    Ok(canonical(&comp))
}
