//! Compressed sparse rows: the adjacency store behind [`crate::CaseGraph`].

/// Adjacency in compressed sparse rows with 32-bit node indices.
///
/// Node `v`'s neighbours are `neighbours[offsets[v]..offsets[v + 1]]`, sorted ascending.
/// No per-node allocation: 8 bytes per node and 4 per slot.
#[derive(Debug, Clone, Default)]
pub struct Csr {
    pub(crate) offsets: Vec<u64>,
    pub(crate) neighbours: Vec<u32>,
}

/// Contact lists of an undirected view of a network, shared by the algorithms that run on the
/// graph's own CSR and on networks derived from it (the community network, the mutable view of a
/// disruption simulation). Rows list each contact once; a node's own index may appear (a
/// self-loop), and callers that count contacts skip it.
pub(crate) trait Rows: Sync {
    /// Number of nodes.
    fn node_count(&self) -> usize;
    /// The contacts of node `v`.
    fn contacts(&self, v: usize) -> &[u32];
}

impl Rows for Csr {
    #[inline]
    fn node_count(&self) -> usize {
        self.len()
    }

    #[inline]
    fn contacts(&self, v: usize) -> &[u32] {
        &self.neighbours[self.offsets[v] as usize..self.offsets[v + 1] as usize]
    }
}

/// Which slots an edge list adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// `a -> b` (the out-adjacency of a directed graph).
    Out,
    /// `b -> a` (the in-adjacency of a directed graph).
    In,
    /// Both, once for a self-loop (an undirected graph).
    Symmetric,
}

impl Csr {
    /// Build from distinct edges sorted by `(a, b)` (with `a <= b` for [`Layout::Symmetric`]).
    pub(crate) fn from_sorted_edges(n: usize, ends: &[(u32, u32)], layout: Layout) -> Self {
        let mut offsets = vec![0u64; n + 1];
        for &(a, b) in ends {
            match layout {
                Layout::Out => offsets[a as usize + 1] += 1,
                Layout::In => offsets[b as usize + 1] += 1,
                Layout::Symmetric => {
                    offsets[a as usize + 1] += 1;
                    if a != b {
                        offsets[b as usize + 1] += 1;
                    }
                }
            }
        }
        for v in 0..n {
            offsets[v + 1] += offsets[v];
        }
        let mut cursor: Vec<u64> = offsets[..n].to_vec();
        let mut neighbours = vec![0u32; offsets[n] as usize];
        // Edges come sorted by (a, b), so filling slots in edge order keeps every row sorted:
        // for node x, edges (w, x) with w < x come before edges (x, v).
        let mut put = |from: u32, to: u32| {
            let slot = &mut cursor[from as usize];
            neighbours[*slot as usize] = to;
            *slot += 1;
        };
        for &(a, b) in ends {
            match layout {
                Layout::Out => put(a, b),
                Layout::In => put(b, a),
                Layout::Symmetric => {
                    put(a, b);
                    if a != b {
                        put(b, a);
                    }
                }
            }
        }
        Self {
            offsets,
            neighbours,
        }
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Whether there are no nodes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of slots.
    pub fn slots(&self) -> usize {
        self.neighbours.len()
    }

    /// The slot range of node `v`.
    #[inline]
    pub fn range(&self, v: u32) -> std::ops::Range<usize> {
        self.offsets[v as usize] as usize..self.offsets[v as usize + 1] as usize
    }

    /// Neighbours of `v`, ascending.
    #[inline]
    pub fn neighbours(&self, v: u32) -> &[u32] {
        &self.neighbours[self.range(v)]
    }

    /// The row offsets (`len() + 1` of them).
    pub fn offsets(&self) -> &[u64] {
        &self.offsets
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.offsets.capacity() * 8 + self.neighbours.capacity() * 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symmetric_rows_are_sorted_and_self_loops_once() {
        let ends = [(0, 1), (0, 2), (1, 1), (1, 2)];
        let csr = Csr::from_sorted_edges(3, &ends, Layout::Symmetric);
        assert_eq!(csr.neighbours(0), &[1, 2]);
        assert_eq!(csr.neighbours(1), &[0, 1, 2]);
        assert_eq!(csr.neighbours(2), &[0, 1]);
    }

    #[test]
    fn directed_in_and_out() {
        let ends = [(0, 2), (1, 2), (2, 0)];
        let out = Csr::from_sorted_edges(3, &ends, Layout::Out);
        let inc = Csr::from_sorted_edges(3, &ends, Layout::In);
        assert_eq!(out.neighbours(2), &[0]);
        assert_eq!(inc.neighbours(2), &[0, 1]);
        assert_eq!(inc.neighbours(0), &[2]);
    }
}
