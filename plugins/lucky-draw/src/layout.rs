//! Where prizes sit on the wheel or grid, so a front end can animate the
//! stop: each prize has a cell, the cells left over are miss cells.

use crate::config::{Config, GRID_CELLS, Style};

impl Config {
    /// Cells of the grid, or segments of the wheel.
    pub fn cells(&self) -> u32 {
        match self.presentation.style {
            Style::Grid => GRID_CELLS,
            Style::Wheel => self
                .presentation
                .segments
                .unwrap_or(self.prizes.len() as u32 + 1),
        }
    }

    /// Each prize's position, then the positions left for misses.
    pub fn layout(&self) -> (Vec<u32>, Vec<u32>) {
        let mut taken: Vec<bool> = vec![false; self.cells() as usize];
        for p in &self.prizes {
            if let Some(pos) = p.position.filter(|pos| *pos < self.cells()) {
                taken[pos as usize] = true;
            }
        }
        let mut next_free = 0usize;
        let positions = self
            .prizes
            .iter()
            .map(|p| match p.position {
                Some(pos) => pos,
                None => {
                    while next_free < taken.len() && taken[next_free] {
                        next_free += 1;
                    }
                    let pos = next_free as u32;
                    if next_free < taken.len() {
                        taken[next_free] = true;
                    }
                    pos
                }
            })
            .collect();
        let misses = (0..self.cells()).filter(|c| !taken[*c as usize]).collect();
        (positions, misses)
    }
}
