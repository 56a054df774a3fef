//! Compare and synchronize folders: filename filters, the comparison of two entries, and a
//! one-way sync's plan. Pure functions over listings (`proto::listing::Entry` and the trees
//! made of them); walking the folders and running the plan belong to the engine and the
//! faces, so the window's preview and `skiff sync --dry-run` show the same plan.

pub mod compare;
pub mod filter;
pub mod plan;
pub mod rules;
pub mod selection;

pub use compare::{Criterion, Node, State};
pub use filter::{Filters, Known, Patterns};
pub use plan::{
    Action, Plan, PlanOptions, SameContent, Summary, Tree, What, needs_checksum, plan,
    plan_with_checksums,
};
pub use selection::Selection;
