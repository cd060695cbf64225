//! Privacy: consent under a ConsentPolicy, and the data rights and retention: the export of an
//! account, its erasure (every table walked for what is left, and on SQLite the files
//! themselves), and the retention job.

mod consent;
mod erasure;
mod export;
mod retention;
mod rows;
