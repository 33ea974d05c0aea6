//! `[baseline]`: home region, regions, allowed accounts, tags.

use super::*;

impl Validator<'_> {
    pub(super) fn settings(&mut self, raw: RawSettings) -> Desired {
        let home_region = raw.home_region.map(|r| self.region(&r, "home_region"));
        let regions = match raw.regions {
            None => RegionSelection::AllEnabled,
            Some(value) => self.region_selection(&value),
        };
        let exclude_regions = raw.exclude_regions.iter().map(|r| self.region(r, "exclude_regions")).collect();
        let mut seen = HashMap::new();
        let mut allowed_account_ids = Vec::new();
        for id in &raw.allowed_account_ids {
            if self.account_id(id) && self.unique(&mut seen, id, "account id") {
                allowed_account_ids.push(id.get_ref().clone());
            }
        }
        let mut tags = BTreeMap::new();
        for (key, value) in raw.tags {
            self.tag(&key, &value);
            tags.insert(key.into_inner(), value.into_inner());
        }
        Desired {
            home_region,
            regions,
            exclude_regions,
            allowed_account_ids,
            tags,
            contacts: Contacts::default(),
            notifications: Notifications::default(),
            log_archive: None,
            cloudtrail: None,
            account_public_access_block: true,
            ebs_encryption_by_default: false,
            alarms: None,
            iam: None,
            budgets: Vec::new(),
            billing_reports: None,
            config: None,
            families: Default::default(),
            accounts: Accounts::default(),
        }
    }

    pub(super) fn region_selection(&mut self, value: &Spanned<toml::Value>) -> RegionSelection {
        let help = Some(
            "write `regions = \"all-enabled\"` or a list such as `regions = [\"us-east-1\", \"eu-west-1\"]`"
                .to_string(),
        );
        match value.get_ref() {
            toml::Value::String(s) if s == "all-enabled" => RegionSelection::AllEnabled,
            toml::Value::Array(items) => {
                let mut regions = Vec::new();
                for item in items {
                    match item.as_str() {
                        Some(code) => {
                            let spanned = Spanned::new(value.span(), code.to_string());
                            regions.push(self.region(&spanned, "regions"));
                        }
                        None => self.error(
                            value.span(),
                            format!("invalid `regions` entry {item}: expected a region code string"),
                            "not a region code",
                            help.clone(),
                        ),
                    }
                }
                if items.is_empty() {
                    self.error(value.span(), "`regions` is an empty list".into(), "no region to baseline", help);
                }
                RegionSelection::List(regions)
            }
            other => {
                self.error(
                    value.span(),
                    format!("invalid `regions` value {other}"),
                    "expected \"all-enabled\" or a list of region codes",
                    help,
                );
                RegionSelection::AllEnabled
            }
        }
    }
}
