//! Partial runs: `--accounts`, `--target` and `--shard I/N` narrow the accounts of a run. Pure functions.

use std::fmt;
use std::str::FromStr;

use super::Member;

/// `--shard I/N`: the I-th of N disjoint parts (1-based) of the account list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1-based, at most `count`; both checked by the only constructor, `FromStr`.
    index: u32,
    count: u32,
}

impl Shard {
    /// Stable whatever the other accounts are: an account stays in its shard as the organization grows, and
    /// every machine of a CI matrix computes the same split (FNV-1a of the id; no per-process seed).
    pub fn contains(&self, account_id: &str) -> bool {
        let hash =
            account_id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
        hash % u64::from(self.count) == u64::from(self.index - 1)
    }
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("`{s}` is not a shard: write I/N with 1 <= I <= N, e.g. 2/8");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count) = (i.trim().parse::<u32>().map_err(|_| bad())?, n.trim().parse::<u32>().map_err(|_| bad())?);
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Self { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// What a partial run keeps.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// `--accounts`: only these (each must be covered by baseline.toml).
    pub accounts: Vec<String>,
    /// `--regions`: regional resources only in these regions.
    pub regions: Vec<String>,
    /// `--target`: only changes whose address starts with one of these.
    pub targets: Vec<String>,
    pub shard: Option<Shard>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SelectError {
    #[error(
        "--accounts names {0} which baseline.toml does not cover ([accounts] selects the accounts; excluded and \
         inactive accounts are never baselined)"
    )]
    NotCovered(String),
}

/// Whether a `--target` prefix can match an address of `account` (`account/region/kind/name`).
pub fn target_may_match(prefix: &str, account: &str) -> bool {
    match prefix.split_once('/') {
        Some((a, _)) => a == account,
        None => account.starts_with(prefix),
    }
}

/// The accounts of this run, in id order.
pub fn select(members: &[Member], filters: &Filters) -> Result<Vec<Member>, SelectError> {
    let unknown: Vec<&str> =
        filters.accounts.iter().filter(|id| !members.iter().any(|m| &m.id == *id)).map(String::as_str).collect();
    if !unknown.is_empty() {
        return Err(SelectError::NotCovered(unknown.join(", ")));
    }
    Ok(members
        .iter()
        .filter(|m| filters.accounts.is_empty() || filters.accounts.contains(&m.id))
        .filter(|m| filters.targets.is_empty() || filters.targets.iter().any(|t| target_may_match(t, &m.id)))
        .filter(|m| filters.shard.is_none_or(|s| s.contains(&m.id)))
        .cloned()
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(n: u64) -> Vec<Member> {
        (0..n).map(|i| Member::new(format!("{:012}", 100_000_000_000 + i * 7919))).collect()
    }

    #[test]
    fn shards_cover_every_account_exactly_once() {
        let all = members(500);
        for count in [1, 2, 3, 8, 13] {
            let mut seen: Vec<String> = Vec::new();
            for index in 1..=count {
                let part =
                    select(&all, &Filters { shard: Some(Shard { index, count }), ..Filters::default() }).unwrap();
                // Balanced enough to spread a fleet: no shard gets more than twice its share.
                assert!(part.len() <= 2 * all.len() / count as usize + 1, "{index}/{count}: {}", part.len());
                seen.extend(part.into_iter().map(|m| m.id));
            }
            seen.sort();
            let mut expected: Vec<String> = all.iter().map(|m| m.id.clone()).collect();
            expected.sort();
            assert_eq!(seen, expected, "{count} shards");
        }
    }

    #[test]
    fn an_account_keeps_its_shard_when_others_join() {
        let shard = Shard { index: 2, count: 4 };
        let before: Vec<String> = select(&members(50), &Filters { shard: Some(shard), ..Filters::default() })
            .unwrap()
            .into_iter()
            .map(|m| m.id)
            .collect();
        let after: Vec<String> = select(&members(80), &Filters { shard: Some(shard), ..Filters::default() })
            .unwrap()
            .into_iter()
            .map(|m| m.id)
            .collect();
        assert!(before.iter().all(|id| after.contains(id)));
    }

    #[test]
    fn shard_syntax() {
        assert_eq!("3/8".parse::<Shard>(), Ok(Shard { index: 3, count: 8 }));
        for bad in ["0/4", "5/4", "1/0", "2", "a/b", "1/-1"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn accounts_and_targets_narrow_the_run() {
        let all = vec![Member::new("111111111111"), Member::new("222222222222"), Member::new("333333333333")];
        let ids = |f: Filters| select(&all, &f).unwrap().into_iter().map(|m| m.id).collect::<Vec<_>>();
        assert_eq!(ids(Filters { accounts: vec!["222222222222".into()], ..Filters::default() }), ["222222222222"]);
        assert_eq!(
            ids(Filters { targets: vec!["333333333333/us-east-1/sns.topic".into()], ..Filters::default() }),
            ["333333333333"]
        );
        assert_eq!(ids(Filters { targets: vec!["1".into()], ..Filters::default() }), ["111111111111"]);
        assert_eq!(
            select(&all, &Filters { accounts: vec!["999999999999".into()], ..Filters::default() }),
            Err(SelectError::NotCovered("999999999999".into()))
        );
    }
}
