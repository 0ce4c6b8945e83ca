//! Identity rules: IDs, names, digests and big-data file names. Pure functions.

pub mod big_data;
pub mod digest;
pub mod id;
pub mod id_map;
pub mod names;
