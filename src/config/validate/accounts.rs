//! `[accounts]`: which accounts a run covers, how it reaches them, their overrides.

use super::*;

impl Validator<'_> {
    /// A warning when several accounts would each get a bucket of their own.
    pub(super) fn central_archive(
        &mut self,
        span: Option<Range<usize>>,
        accounts: &Accounts,
        archive: Option<&LogArchive>,
    ) {
        if let (Some(span), Some(archive)) = (span, archive)
            && accounts.is_fleet()
            && archive.account_id.is_none()
        {
            self.warn(
                span,
                "[accounts] covers several accounts but [log_archive] names no `account_id`".into(),
                "each account gets a bucket of its own",
                Some(
                    "set `account_id` in [log_archive] to the log archive account, so every trail and Config \
                      channel delivers to one central bucket"
                        .into(),
                ),
            );
        }
    }

    pub(super) fn accounts(&mut self, raw: Spanned<RawAccounts>, billing_topic: bool) -> Accounts {
        let span = raw.span();
        let raw = raw.into_inner();
        let mut seen = HashMap::new();
        let account_ids = |v: &mut Self, list: &[Spanned<String>], seen: &mut HashMap<String, Range<usize>>| {
            list.iter()
                .filter(|id| v.account_id(id) && v.unique(seen, id, "account id"))
                .map(|id| id.get_ref().clone())
                .collect::<Vec<_>>()
        };
        let organization = raw.organization.as_ref().is_some_and(|o| *o.get_ref());
        let selection = match (&raw.ids, organization) {
            (Some(ids), true) => {
                self.error(
                    ids.span(),
                    "[accounts] sets both `ids` and `organization = true`".into(),
                    "choose one",
                    Some(
                        "remove `ids` to baseline the whole organization, or `organization` to baseline a list".into(),
                    ),
                );
                account_ids(self, ids.get_ref(), &mut seen);
                AccountSelection::Caller
            }
            (Some(ids), false) => {
                if ids.get_ref().is_empty() {
                    self.error(ids.span(), "`ids` is an empty list".into(), "no account to baseline", None);
                }
                AccountSelection::Ids(account_ids(self, ids.get_ref(), &mut seen))
            }
            (None, true) => AccountSelection::Organization {
                include_ous: raw.include_ous.iter().filter(|o| self.ou_id(o)).map(|o| o.get_ref().clone()).collect(),
                exclude_ous: raw.exclude_ous.iter().filter(|o| self.ou_id(o)).map(|o| o.get_ref().clone()).collect(),
            },
            (None, false) => AccountSelection::Caller,
        };
        if !organization && let Some(ou) = raw.include_ous.first().or(raw.exclude_ous.first()) {
            self.error(
                ou.span(),
                "organizational units are only used with `organization = true`".into(),
                "no organization to look in",
                Some("add `organization = true` to [accounts], or remove `include_ous` / `exclude_ous`".into()),
            );
        }
        let exclude = account_ids(self, &raw.exclude, &mut HashMap::new());
        let role = self.member_role(raw.role);
        let external_id = raw.external_id.map(|id| {
            let v = id.get_ref();
            if !name_ok(v, 2, 1224, "+=,.@:/_-") {
                self.error(id.span(), "invalid `external_id`".into(), "2 to 1224 letters, digits and +=,.@:/_-", None);
            }
            id.into_inner()
        });
        let session_name = self.session_name(raw.session_name);
        let overrides = self.overrides(raw.overrides, &selection, &exclude, billing_topic);
        if matches!(selection, AccountSelection::Caller) && !organization && raw.ids.is_none() {
            self.warn(
                span,
                "[accounts] names no accounts: only the caller's account is baselined".into(),
                "no `ids` and no `organization = true`",
                Some("set `organization = true` or `ids = [\"123456789012\", ...]`".into()),
            );
        }
        Accounts { selection, exclude, role, external_id, session_name, overrides }
    }

    /// `[accounts.overrides.<id>]`: contacts and budgets of one account; a warning for an account the run
    /// does not target.
    pub(super) fn overrides(
        &mut self,
        raw: BTreeMap<Spanned<String>, RawOverride>,
        selection: &AccountSelection,
        exclude: &[String],
        billing_topic: bool,
    ) -> BTreeMap<String, AccountOverride> {
        let mut overrides = BTreeMap::new();
        for (id, o) in raw {
            if !self.account_id(&id) {
                continue;
            }
            let targeted = match selection {
                AccountSelection::Ids(ids) => ids.contains(id.get_ref()),
                _ => true,
            };
            if !targeted || exclude.contains(id.get_ref()) {
                self.warn(
                    id.span(),
                    format!("override for account {} that this baseline does not target", id.get_ref()),
                    "never used",
                    Some("add the account to `ids`, or remove the override".into()),
                );
            }
            let contacts = self.contacts(o.contacts);
            let budgets = o.budgets.map(|list| self.budgets(list, billing_topic, "budgets need"));
            overrides.insert(id.into_inner(), AccountOverride { contacts, budgets });
        }
        overrides
    }

    /// The role assumed in member accounts (default: [`DEFAULT_MEMBER_ROLE`]).
    pub(super) fn member_role(&mut self, raw: Option<Spanned<String>>) -> String {
        match raw {
            Some(role) => {
                let ok = role.get_ref().split('/').all(|part| name_ok(part, 1, 512, "+=,.@_-"));
                let name_len = role.get_ref().rsplit('/').next().map_or(0, str::len);
                if !ok || name_len > 64 {
                    self.error(
                        role.span(),
                        format!("invalid role name \"{}\"", role.get_ref()),
                        "not an IAM role name",
                        Some("a role name of up to 64 letters, digits and +=,.@_- (optionally after a path such as \"ops/\"), not an ARN".into()),
                    );
                }
                role.into_inner()
            }
            None => DEFAULT_MEMBER_ROLE.to_string(),
        }
    }

    /// The session name member accounts' CloudTrail shows (default: [`DEFAULT_SESSION_NAME`]).
    pub(super) fn session_name(&mut self, raw: Option<Spanned<String>>) -> String {
        match raw {
            Some(name) => {
                let v = name.get_ref();
                if !name_ok(v, 2, 64, "+=,.@_-") {
                    self.error(
                        name.span(),
                        format!("invalid `session_name` \"{v}\""),
                        "2 to 64 letters, digits and +=,.@_-",
                        Some(
                            "the session name shows in the member accounts' CloudTrail; the default is \"baseline\""
                                .into(),
                        ),
                    );
                }
                name.into_inner()
            }
            None => DEFAULT_SESSION_NAME.to_string(),
        }
    }

    /// `ou-xxxx-yyyyyyyy` (or a root, `r-xxxx`).
    pub(super) fn ou_id(&mut self, id: &Spanned<String>) -> bool {
        let v = id.get_ref();
        let part = |s: &str, min: usize| {
            s.len() >= min && s.len() <= 32 && s.chars().all(|c| c.is_ascii_digit() || c.is_ascii_lowercase())
        };
        let ok = match v.split('-').collect::<Vec<_>>().as_slice() {
            ["ou", root, ou] => part(root, 4) && part(ou, 8),
            ["r", root] => part(root, 4),
            _ => false,
        };
        if !ok {
            self.error(
                id.span(),
                format!("invalid organizational unit id \"{v}\""),
                "not an OU id",
                Some("an OU id looks like \"ou-ab12-cd34ef56\" (the root: \"r-ab12\"); names are not accepted".into()),
            );
        }
        ok
    }
}

/// The accounts a run of this file may touch, when the file says: `[accounts] ids` (less `exclude`), limited to
/// `allowed_account_ids` when that is set too. `None`: decided at run time (the caller, or the organization).
pub(super) fn covered_accounts(allowed: &[String], accounts: Option<&RawAccounts>) -> Option<Vec<String>> {
    let ids = accounts.filter(|a| !a.organization.as_ref().is_some_and(|o| *o.get_ref())).and_then(|a| {
        let ids = a.ids.as_ref()?;
        let excluded = |id: &String| a.exclude.iter().any(|e| e.get_ref() == id);
        Some(ids.get_ref().iter().map(|i| i.get_ref().clone()).filter(|i| is_account_id(i) && !excluded(i)).collect())
    });
    match ids {
        None if allowed.is_empty() => None,
        None => Some(allowed.to_vec()),
        Some(ids) if allowed.is_empty() => Some(ids),
        Some(ids) => Some(ids.into_iter().filter(|i: &String| allowed.contains(i)).collect()),
    }
}
