//! Tests of the archive module: fixtures are real GNU tar archives and the
//! tar-split files containers-storage 1.43 wrote for them
//! (`guest/tests/fixtures/archive`, see its README).

mod assemble;
mod compression;
mod disassemble;
mod fixtures;
mod header;
mod path;
mod pax;
mod sparse;
mod tar_split;
