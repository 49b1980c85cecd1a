//! Shared machinery of the record builders: interning a column, grouping rows by value.

use aluna_core::ids::{IdMap, Key};
use aluna_core::table::{Groups, Table};
use aluna_core::{Error, Result};

/// The code of a null value.
pub(crate) const NULL: u32 = u32::MAX;

/// A column grouped by value (see [`Groups`]): each row's code ([`NULL`] for a null), the rows
/// of each value and, when asked for, the distinct values in first-seen order.
pub(crate) struct Codes {
    pub(crate) levels: Option<IdMap>,
    pub(crate) groups: Groups,
}

/// Group `column` of `table` (integers or strings) by value, in parallel, keeping the values
/// themselves when `ids`. With `required`, a null is an error naming its first row; otherwise
/// nulls are coded [`NULL`] and counted.
pub(crate) fn intern_column(
    table: &Table,
    column: &str,
    required: Option<&'static str>,
    ids: bool,
) -> Result<Codes> {
    let col = table.column(column)?;
    let groups = col.group_rows()?;
    if let Some(expected) = required {
        if groups.nulls > 0 {
            let row = groups.codes.iter().position(|&c| c == NULL).unwrap_or(0);
            return Err(Error::NullValue {
                column: column.to_string(),
                row,
                expected,
            });
        }
    }
    let levels = if ids {
        Some(col.group_ids(&groups)?)
    } else {
        None
    };
    Ok(Codes { levels, groups })
}

/// The value of group `g` of `column` as plain text.
pub(crate) fn group_text(table: &Table, column: &str, groups: &Groups, g: usize) -> String {
    table
        .column(column)
        .and_then(|c| c.key_text(groups.group(g)[0] as usize))
        .ok()
        .flatten()
        .unwrap_or_default()
}

/// A value of `levels` as plain text (integers in decimal, strings as they are).
pub(crate) fn key_text(levels: &IdMap, i: usize) -> String {
    match levels.key(i) {
        Key::Int(v) => v.to_string(),
        Key::Str(s) => s.to_string(),
    }
}

/// Reject tables too long for 32-bit row indices.
pub(crate) fn check_rows(table: &Table, what: &str) -> Result<()> {
    if table.num_rows() == 0 {
        return Err(Error::Empty {
            what: format!("the {what} table has no rows"),
        });
    }
    if table.num_rows() >= u32::MAX as usize {
        return Err(Error::argument(
            "records",
            format!(
                "{} rows; at most 4,294,967,294 are supported",
                table.num_rows()
            ),
        ));
    }
    Ok(())
}
