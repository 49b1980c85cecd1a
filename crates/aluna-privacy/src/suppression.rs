//! Small-cell suppression in tables of counts, with secondary suppression against totals.
//!
//! Primary suppression hides every count in `1..threshold` (and zeros if asked). If row and
//! column totals are published, a lone hidden cell in a row is the row total minus the others,
//! so more cells must go (secondary suppression). In a two-dimensional table the hidden cells
//! are the edges of a bipartite graph between rows and columns; the totals fix the sum of the
//! hidden cells at each row and column. A hidden cell's value is determined by the totals
//! exactly when its edge is a bridge of that graph (it lies on no cycle): on a cycle, adding
//! `+t, −t, +t …` around it keeps every total, so with positive cells the value can move both
//! ways. The algorithm here finds every unprotected (bridge) cell and puts it on a cycle by a
//! cheapest path from its row to its column, where hiding a published cell costs its count
//! (the information lost), already hidden cells cost nothing and zero cells are used only when
//! nothing else works — the shortest-path view of the two-dimensional cell suppression problem
//! (Cox 1980 [1]; Fischetti & Salazar-González 1999 [2] solve it optimally). It repeats until
//! no hidden cell is a bridge. The result is a heuristic, not a minimum-loss pattern.
//!
//! A table with one row or one column has one total; there a lone hidden cell gets a partner,
//! the smallest other positive cell.
//!
//! # References
//! 1. Cox, L. H. (1980). Suppression methodology and statistical disclosure control. Journal of
//!    the American Statistical Association 75(370), 377-385.
//! 2. Fischetti, M. & Salazar-González, J. J. (1999). Models and algorithms for the
//!    2-dimensional cell suppression problem in statistical disclosure control. Mathematical
//!    Programming 84(2), 283-312.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use aluna_core::ids::Key;
use aluna_core::table::Table;
use aluna_core::{Error, Result};

/// Settings of [`suppress`].
#[derive(Debug, Clone, Copy)]
pub struct SuppressionOptions {
    /// Counts in `1..threshold` are hidden (primary suppression).
    pub threshold: u64,
    /// Hide zero counts too (a zero can disclose that nobody in a group has an attribute).
    pub suppress_zeros: bool,
    /// Protect hidden cells against published row and column totals (secondary suppression).
    pub secondary: bool,
}

impl Default for SuppressionOptions {
    fn default() -> Self {
        Self {
            threshold: 10,
            suppress_zeros: false,
            secondary: true,
        }
    }
}

/// Why a cell was hidden.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Its count is below the threshold (or zero, when zeros are suppressed).
    Primary,
    /// Hidden so that the cell at `(row, column)` cannot be recovered from the totals.
    Secondary {
        /// Row of the protected cell.
        row: usize,
        /// Column of the protected cell.
        column: usize,
    },
}

/// One hidden cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HiddenCell {
    /// Its row.
    pub row: usize,
    /// Its column.
    pub column: usize,
    /// Why it was hidden.
    pub reason: Reason,
}

/// The outcome of [`suppress`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Suppression {
    /// Hidden cells, primary ones first (in row-major order), then secondary ones in the
    /// order they were chosen.
    pub hidden: Vec<HiddenCell>,
    /// Hidden cells that no further suppression can protect (their row or column has no
    /// other cell to hide), in row-major order.
    pub unprotected: Vec<(usize, usize)>,
}

/// The count columns of a table as a row-major matrix of non-negative integers.
///
/// Every column must hold integers without nulls or negative values; errors name the column
/// and row.
pub fn count_matrix(table: &Table, columns: &[&str]) -> Result<Vec<u64>> {
    if columns.is_empty() {
        return Err(Error::argument(
            "count_columns",
            "name at least one column of counts",
        ));
    }
    let n_rows = table.num_rows();
    let n_cols = columns.len();
    let mut counts = vec![0u64; n_rows * n_cols];
    for (c, name) in columns.iter().enumerate() {
        let column = table.column(name)?;
        if !column.data_type().is_integer() {
            return Err(Error::WrongType {
                column: name.to_string(),
                expected: "integer counts",
                found: column.data_type().to_string(),
            });
        }
        column.for_each_key(|row, key| {
            match key {
                Some(Key::Int(v)) if v >= 0 => counts[row * n_cols + c] = v as u64,
                Some(other) => {
                    return Err(Error::bad_value(*name, row, "a non-negative count", other))
                }
                None => {
                    return Err(Error::NullValue {
                        column: name.to_string(),
                        row,
                        expected: "a count",
                    })
                }
            }
            Ok(())
        })?;
    }
    Ok(counts)
}

/// Suppress small cells of an `n_rows × n_cols` table of counts (row-major).
///
/// Deterministic: ties between equally cheap cells go to the lower row, then column. Serial;
/// `O(hidden × (rows + cols)²)`, meant for published tables, not microdata.
///
/// # Example
/// ```
/// use aluna_privacy::suppression::{suppress, Reason, SuppressionOptions};
/// // 2 x 3 table; the 3 is below 10.
/// let counts = [3, 40, 50, 20, 30, 60];
/// let s = suppress(&counts, 2, 3, SuppressionOptions::default()).unwrap();
/// let cells: Vec<(usize, usize)> = s.hidden.iter().map(|h| (h.row, h.column)).collect();
/// // The 3 alone could be recovered from its row and column totals; the cheapest cycle hides
/// // 40 (same row), 20 (same column) and 30 (closing the rectangle).
/// assert_eq!(cells.len(), 4);
/// assert!(cells.contains(&(0, 1)) && cells.contains(&(1, 0)) && cells.contains(&(1, 1)));
/// assert_eq!(s.hidden[0].reason, Reason::Primary);
/// assert!(s.unprotected.is_empty());
/// ```
pub fn suppress(
    counts: &[u64],
    n_rows: usize,
    n_cols: usize,
    options: SuppressionOptions,
) -> Result<Suppression> {
    if counts.len() != n_rows * n_cols {
        return Err(Error::argument(
            "table",
            format!("{} counts for a {n_rows} x {n_cols} table", counts.len()),
        ));
    }
    if options.threshold == 0 {
        return Err(Error::argument("threshold", "must be at least 1"));
    }
    let mut hidden_mask = vec![false; counts.len()];
    let mut out = Suppression::default();
    for (cell, &v) in counts.iter().enumerate() {
        if (v > 0 && v < options.threshold) || (v == 0 && options.suppress_zeros) {
            hidden_mask[cell] = true;
            out.hidden.push(HiddenCell {
                row: cell / n_cols,
                column: cell % n_cols,
                reason: Reason::Primary,
            });
        }
    }
    if !options.secondary || out.hidden.is_empty() {
        return Ok(out);
    }
    if n_rows == 1 || n_cols == 1 {
        one_total(counts, n_cols, &mut hidden_mask, &mut out);
        return Ok(out);
    }
    let mut stuck: Vec<usize> = Vec::new();
    loop {
        let bridges = bridges(&hidden_mask, n_rows, n_cols);
        let Some(&cell) = bridges.iter().find(|c| !stuck.contains(c)) else {
            break;
        };
        let (r, c) = (cell / n_cols, cell % n_cols);
        match cheapest_cycle(counts, &hidden_mask, n_rows, n_cols, r, c) {
            Some(path) => {
                for new in path {
                    hidden_mask[new] = true;
                    out.hidden.push(HiddenCell {
                        row: new / n_cols,
                        column: new % n_cols,
                        reason: Reason::Secondary { row: r, column: c },
                    });
                }
            }
            None => stuck.push(cell),
        }
    }
    stuck.sort_unstable();
    out.unprotected = stuck
        .into_iter()
        .map(|c| (c / n_cols, c % n_cols))
        .collect();
    Ok(out)
}

/// One total (a single row or column): a lone hidden cell gets the smallest other positive
/// cell as partner.
fn one_total(counts: &[u64], n_cols: usize, hidden: &mut [bool], out: &mut Suppression) {
    let n_hidden = hidden.iter().filter(|h| **h).count();
    if n_hidden != 1 {
        return;
    }
    let Some(lone) = hidden.iter().position(|h| *h) else {
        return;
    };
    let partner = (0..counts.len())
        .filter(|&i| !hidden[i])
        .min_by_key(|&i| (counts[i] == 0, counts[i], i));
    match partner {
        Some(p) => {
            hidden[p] = true;
            out.hidden.push(HiddenCell {
                row: p / n_cols,
                column: p % n_cols,
                reason: Reason::Secondary {
                    row: lone / n_cols,
                    column: lone % n_cols,
                },
            });
        }
        None => out.unprotected.push((lone / n_cols, lone % n_cols)),
    }
}

/// Hidden cells that are bridges of the row–column graph of hidden cells, in row-major order.
fn bridges(hidden: &[bool], n_rows: usize, n_cols: usize) -> Vec<usize> {
    // Nodes: rows 0..n_rows, columns n_rows..n_rows+n_cols; edges: hidden cells.
    let n = n_rows + n_cols;
    let mut adjacency: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
    for (cell, _) in hidden.iter().enumerate().filter(|(_, h)| **h) {
        let (r, c) = (cell / n_cols, n_rows + cell % n_cols);
        adjacency[r].push((c, cell));
        adjacency[c].push((r, cell));
    }
    let mut order = vec![usize::MAX; n];
    let mut low = vec![0usize; n];
    let mut counter = 0;
    let mut found = Vec::new();
    for root in 0..n {
        if order[root] != usize::MAX || adjacency[root].is_empty() {
            continue;
        }
        // Iterative DFS: (node, edge used to enter, next neighbour index).
        let mut stack: Vec<(usize, usize, usize)> = vec![(root, usize::MAX, 0)];
        order[root] = counter;
        low[root] = counter;
        counter += 1;
        while let Some(&mut (node, via, ref mut next)) = stack.last_mut() {
            if *next < adjacency[node].len() {
                let (other, edge) = adjacency[node][*next];
                *next += 1;
                if edge == via {
                    continue;
                }
                if order[other] == usize::MAX {
                    order[other] = counter;
                    low[other] = counter;
                    counter += 1;
                    stack.push((other, edge, 0));
                } else {
                    low[node] = low[node].min(order[other]);
                }
            } else {
                stack.pop();
                if let Some(&(parent, _, _)) = stack.last() {
                    low[parent] = low[parent].min(low[node]);
                    if low[node] > order[parent] {
                        found.push(via);
                    }
                }
            }
        }
    }
    found.sort_unstable();
    found
}

/// The cheapest set of cells to hide that closes a cycle through hidden cell `(r, c)`: a
/// shortest path from row `r` to column `c` not using that cell, where hidden cells cost 0,
/// positive cells their count and zero cells more than all positive cells together.
fn cheapest_cycle(
    counts: &[u64],
    hidden: &[bool],
    n_rows: usize,
    n_cols: usize,
    r: usize,
    c: usize,
) -> Option<Vec<usize>> {
    let zero_cost: u128 = counts.iter().map(|&v| v as u128).sum::<u128>() + 1;
    let cost = |cell: usize| -> u128 {
        if hidden[cell] {
            0
        } else if counts[cell] == 0 {
            zero_cost
        } else {
            counts[cell] as u128
        }
    };
    let n = n_rows + n_cols;
    let start = r;
    let goal = n_rows + c;
    let mut dist = vec![u128::MAX; n];
    let mut previous: Vec<Option<(usize, usize)>> = vec![None; n];
    let mut heap = BinaryHeap::new();
    dist[start] = 0;
    heap.push(Reverse((0u128, start)));
    while let Some(Reverse((d, node))) = heap.pop() {
        if d > dist[node] {
            continue;
        }
        if node == goal {
            break;
        }
        let neighbours: Box<dyn Iterator<Item = (usize, usize)>> = if node < n_rows {
            Box::new((0..n_cols).map(move |col| (n_rows + col, node * n_cols + col)))
        } else {
            let col = node - n_rows;
            Box::new((0..n_rows).map(move |row| (row, row * n_cols + col)))
        };
        for (other, cell) in neighbours {
            if cell == r * n_cols + c {
                continue;
            }
            let next = d + cost(cell);
            if next < dist[other] {
                dist[other] = next;
                previous[other] = Some((node, cell));
                heap.push(Reverse((next, other)));
            }
        }
    }
    if dist[goal] == u128::MAX {
        return None;
    }
    let mut path = Vec::new();
    let mut node = goal;
    while let Some((back, cell)) = previous[node] {
        if !hidden[cell] {
            path.push(cell);
        }
        node = back;
    }
    path.reverse();
    Some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(s: &Suppression) -> Vec<(usize, usize)> {
        let mut v: Vec<_> = s.hidden.iter().map(|h| (h.row, h.column)).collect();
        v.sort_unstable();
        v
    }

    #[test]
    fn nothing_small_nothing_hidden() {
        let s = suppress(&[10, 20, 30, 40], 2, 2, SuppressionOptions::default()).unwrap();
        assert!(s.hidden.is_empty());
    }

    #[test]
    fn every_hidden_cell_lies_on_a_cycle() {
        let counts = [
            1, 50, 60, 70, //
            80, 2, 90, 15, //
            25, 35, 45, 55, //
        ];
        let s = suppress(&counts, 3, 4, SuppressionOptions::default()).unwrap();
        let mut mask = vec![false; 12];
        for (r, c) in cells(&s) {
            mask[r * 4 + c] = true;
        }
        assert!(bridges(&mask, 3, 4).is_empty());
        assert!(s.unprotected.is_empty());
        // Only the two primary cells plus secondary ones; a secondary names what it protects.
        assert_eq!(
            s.hidden
                .iter()
                .filter(|h| h.reason == Reason::Primary)
                .count(),
            2
        );
    }

    #[test]
    fn one_row_gets_a_partner() {
        let s = suppress(&[3, 40, 12, 0], 1, 4, SuppressionOptions::default()).unwrap();
        assert_eq!(cells(&s), vec![(0, 0), (0, 2)]);
        let s = suppress(&[3], 1, 1, SuppressionOptions::default()).unwrap();
        assert_eq!(s.unprotected, vec![(0, 0)]);
    }

    #[test]
    fn without_secondary_only_primary() {
        let options = SuppressionOptions {
            secondary: false,
            ..Default::default()
        };
        let s = suppress(&[3, 40, 50, 20], 2, 2, options).unwrap();
        assert_eq!(cells(&s), vec![(0, 0)]);
    }

    #[test]
    fn shape_must_match() {
        assert!(matches!(
            suppress(&[1, 2, 3], 2, 2, SuppressionOptions::default()),
            Err(Error::InvalidArgument { name: "table", .. })
        ));
    }
}
