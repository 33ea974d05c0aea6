//! The tables of baseline.toml that belong to one resource family (the registry's `sections`): each is a file
//! `config/<family>.rs` whose validated form implements [`FamilySection`] and is named `Spec` there. From the
//! registry line alone come the module, the raw file's table, its check, its field of the validated model
//! ([`FamilySections`]), its line in `baseline validate`, and whether it needs the account's regions listed.

use toml::Spanned;

use super::model::{AccountSelection, Accounts, Notifications};
use super::validate::Validator;

/// What a family's table is: its raw shape, its checks, its summary.
pub(crate) trait FamilySection: Sized {
    /// The table exactly as written (serde, rejecting unknown keys).
    type Raw: serde::de::DeserializeOwned + std::fmt::Debug;
    /// Whether the family manages resources region by region (the account's enabled regions are then listed).
    const REGIONAL: bool;
    /// The table's JSON Schema (draft-07): its part of `schema/baseline.schema.json`, which is generated from it
    /// (the schema test compares them; `UPDATE_SCHEMA=1` rewrites the file).
    const SCHEMA: &'static str;
    /// The table's keys set to make every call of the family (organization parts included), for the test that
    /// checks its permissions against its calls when the shipped baseline leaves it off.
    const EXAMPLE: &'static str;
    /// Checks the table (`raw` spans all of it) against what the rest of the file set up.
    fn check(raw: Spanned<Self::Raw>, v: &mut Validator, around: &Around) -> Self;
    /// What `baseline validate` says of it.
    fn summary(&self) -> String;
}

/// What a family's table may depend on in the rest of the file.
#[derive(Debug, Clone, Copy)]
pub struct Around {
    /// `[notifications.security]` exists (the security topic).
    pub security_topic: bool,
    /// Runs cover an organization (`[accounts]` with `organization = true`).
    pub organization: bool,
}

impl Around {
    pub fn of(notifications: &Notifications, accounts: &Accounts) -> Self {
        Around {
            security_topic: notifications.security.is_some(),
            organization: matches!(accounts.selection, AccountSelection::Organization { .. }),
        }
    }
}

/// The config side of the registry: declares `config/<family>.rs` for each family of `sections` and derives
/// [`FamilySections`] and [`RawSections`] from the list.
macro_rules! family_sections {
    (
        independent { $($_own:ident: $_own_variant:ident),* $(,)? }
        sections { $($s:ident: $_variant:ident),* $(,)? }
        after_trail { $($_chained:ident: $_chained_variant:ident),* $(,)? }
    ) => {
        $(pub mod $s;)*

        /// The validated tables of the families that own one; `None`: the table is absent.
        #[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
        pub struct FamilySections {
            $(pub $s: Option<$s::Spec>,)*
        }

        /// Their tables as written, taken out of the raw file.
        #[derive(Debug, Default)]
        pub(crate) struct RawSections {
            $(pub $s: Option<toml::Spanned<<$s::Spec as sections::FamilySection>::Raw>>,)*
        }

        /// The families' table names, in registry order.
        pub const FAMILY_TABLES: &[&str] = &[$(stringify!($s),)*];

        /// Each family's table and its fullest example (see `FamilySection::EXAMPLE`), in registry order.
        pub const FAMILY_EXAMPLES: &[(&str, &str)] =
            &[$((stringify!($s), <$s::Spec as sections::FamilySection>::EXAMPLE),)*];

        /// Each family's table and its JSON Schema, in registry order.
        pub const FAMILY_SCHEMAS: &[(&str, &str)] =
            &[$((stringify!($s), <$s::Spec as sections::FamilySection>::SCHEMA),)*];

        impl FamilySections {
            pub(crate) fn check(raw: RawSections, v: &mut validate::Validator, around: &sections::Around) -> Self {
                use sections::FamilySection;
                Self { $($s: raw.$s.map(|table| FamilySection::check(table, v, around)),)* }
            }

            /// Whether a family that manages resources region by region is on.
            pub fn regional(&self) -> bool {
                use sections::FamilySection;
                false $(|| (self.$s.is_some() && <$s::Spec as FamilySection>::REGIONAL))*
            }

            /// Their lines in `baseline validate`, in registry order.
            pub fn sections(&self) -> Vec<model::Section> {
                use sections::FamilySection;
                vec![$(model::Section {
                    header: concat!("[", stringify!($s), "]"),
                    fields: &[stringify!($s)],
                    summary: self.$s.as_ref().map(FamilySection::summary),
                },)*]
            }
        }
    };
}
