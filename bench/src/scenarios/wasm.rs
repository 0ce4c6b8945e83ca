//! Scenario 5: cost of running the store logic as a wasm component rather
//! than natively. Needs a native build of the store logic, which does not
//! exist yet.

use crate::report::Section;

/// Why the scenario is skipped.
pub const SKIPPED: &str = "not available: no native build yet";

/// Reports the scenario as skipped.
pub fn run() -> Section {
    let mut section = Section::new("5. Wasm overhead");
    section.notes.push(SKIPPED.to_string());
    section
}
