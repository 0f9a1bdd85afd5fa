//! Writing results: tidy CSV tables, JSON, provenance records, all written atomically
//! (temp file in the target directory + rename, so a crash never leaves half a file).

pub mod atomic;
pub mod figure_files;
#[cfg(feature = "png")]
pub mod png;
pub mod progress;
pub mod provenance;
pub mod table;

pub use atomic::write_atomic;
pub use figure_files::{write_figure_files, write_provenance, FigureFiles};
pub use provenance::Provenance;
pub use table::{Cell, Table};
