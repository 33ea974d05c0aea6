//! The account a run acts on, as pure data: enough to build addresses and ARNs.

/// Identity of the target account, enough to build addresses and ARNs. Pure data, for diff functions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub account_id: String,
    pub partition: String,
    pub home_region: String,
}
