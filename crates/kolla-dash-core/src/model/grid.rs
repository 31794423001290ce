//! The grid's shape and navigation: rows (services and their kinds), the row filter, and
//! the selected cell.

use crate::kind::Kind;
use crate::workflow::plan::ServiceSpec;

/// One grid row: a catalog service, the kinds it has in creation order, and the services
/// it depends on (what a deploy's plan orders by).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub service: String,
    pub kinds: Vec<Kind>,
    pub depends_on: Vec<String>,
}

impl Row {
    pub fn new(service: impl Into<String>, kinds: impl IntoIterator<Item = Kind>) -> Self {
        Row {
            service: service.into(),
            kinds: kinds.into_iter().collect(),
            depends_on: Vec::new(),
        }
    }

    /// The same row, deployed after `services`.
    pub fn after(mut self, services: &[String]) -> Self {
        self.depends_on = services.to_vec();
        self
    }

    /// The row as the planner sees its service.
    pub fn spec(&self) -> ServiceSpec {
        ServiceSpec {
            name: self.service.clone(),
            kinds: self.kinds.clone(),
            depends_on: self.depends_on.clone(),
        }
    }

    pub fn has(&self, kind: Kind) -> bool {
        self.kinds.contains(&kind)
    }
}

/// Rows, the filter over them, and the cursor.
#[derive(Debug, Clone)]
pub struct Grid {
    rows: Vec<Row>,
    filter: String,
    /// Indices into `rows` of the rows matching the filter, in layout order.
    visible: Vec<usize>,
    /// Selected position within `visible`.
    cursor: usize,
    column: Kind,
}

impl Grid {
    pub fn new(rows: Vec<Row>) -> Self {
        let visible = (0..rows.len()).collect();
        Grid {
            rows,
            filter: String::new(),
            visible,
            cursor: 0,
            column: Kind::ALL[0],
        }
    }

    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    pub fn visible(&self) -> &[usize] {
        &self.visible
    }

    pub fn filter(&self) -> &str {
        &self.filter
    }

    /// The selected layout row, None when the filter matches nothing.
    pub fn selected_row(&self) -> Option<usize> {
        self.visible.get(self.cursor).copied()
    }

    /// Position of the selection among the visible rows.
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    pub fn selected_kind(&self) -> Kind {
        self.column
    }

    pub fn selected_service(&self) -> Option<&str> {
        self.selected_row().map(|r| self.rows[r].service.as_str())
    }

    /// Keeps the selected service selected when it still matches, else the first match.
    pub fn set_filter(&mut self, filter: &str) {
        let keep = self.selected_row();
        self.filter = filter.to_string();
        let needle = filter.to_lowercase();
        self.visible = (0..self.rows.len())
            .filter(|&i| self.rows[i].service.to_lowercase().contains(&needle))
            .collect();
        self.cursor = keep
            .and_then(|r| self.visible.iter().position(|&v| v == r))
            .unwrap_or(0);
    }

    pub fn move_rows(&mut self, delta: isize) {
        let last = self.visible.len().saturating_sub(1);
        self.cursor = self.cursor.saturating_add_signed(delta).min(last);
    }

    pub fn move_columns(&mut self, delta: isize) {
        let last = Kind::ALL.len() - 1;
        self.column = Kind::ALL[self.column.index().saturating_add_signed(delta).min(last)];
    }

    /// Selects a layout row (clearing a filter that hides it) and column.
    pub fn select(&mut self, row: usize, kind: Kind) {
        if row >= self.rows.len() {
            return;
        }
        if !self.visible.contains(&row) {
            self.set_filter("");
        }
        self.cursor = self.visible.iter().position(|&v| v == row).unwrap_or(0);
        self.column = kind;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid() -> Grid {
        Grid::new(vec![
            Row::new("mariadb", Kind::ALL),
            Row::new("memcached", [Kind::Svc, Kind::Configmap, Kind::Pod]),
            Row::new(
                "keystone",
                [Kind::Svc, Kind::Configmap, Kind::Bootstrap, Kind::Pod],
            ),
        ])
    }

    #[test]
    fn movement_clamps_at_edges() {
        let mut g = grid();
        g.move_rows(-1);
        assert_eq!(g.selected_row(), Some(0));
        g.move_rows(10);
        assert_eq!(g.selected_row(), Some(2));
        g.move_columns(-3);
        assert_eq!(g.selected_kind(), Kind::Disk);
        g.move_columns(100);
        assert_eq!(g.selected_kind(), Kind::Pod);
    }

    #[test]
    fn filter_keeps_selection_when_it_matches() {
        let mut g = grid();
        g.move_rows(1);
        g.set_filter("m");
        assert_eq!(g.visible(), &[0, 1]);
        assert_eq!(g.selected_service(), Some("memcached"));
        g.set_filter("KEY");
        assert_eq!(g.selected_service(), Some("keystone"));
        g.set_filter("nothing");
        assert_eq!(g.selected_row(), None);
    }

    #[test]
    fn selecting_a_hidden_row_clears_the_filter() {
        let mut g = grid();
        g.set_filter("key");
        g.select(0, Kind::Pvc);
        assert_eq!(
            (g.filter(), g.selected_row(), g.selected_kind()),
            ("", Some(0), Kind::Pvc)
        );
    }
}
