//! observe → diff → plan → apply. The plan is data; apply runs it; rendering lives in `render`.

pub mod apply;
pub mod events;
pub mod plan;
pub mod saved;

pub use apply::{ApplyReport, ChangeResult, Outcome, Stop};
pub use events::{Event, EventSink, NullSink};
pub use plan::{
    Action, Address, AttributeChange, GLOBAL, Notice, NoticeLevel, Plan, PlanError, ResourceChange, Summary,
};
