//! Partial runs: `--accounts`, `--target` and `--shard I/N` narrow the accounts of a run. Pure functions: the
//! environment a `--shard NAME/N` reads is passed in.

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

/// `--shard` as written: `I/N` (1-based), or `NAME/N` where the environment variable NAME holds a 0-based
/// index, as batch engines hand it to each worker (Kubernetes Indexed Jobs: `JOB_COMPLETION_INDEX`; AWS Batch
/// array jobs: `AWS_BATCH_JOB_ARRAY_INDEX`). `NAME/N` with NAME = K selects the same accounts as `K+1/N`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShardSpec {
    Fixed(Shard),
    FromEnv { var: String, count: u32 },
}

/// Why `--shard NAME/N` names no shard in this environment.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ShardError {
    #[error(
        "--shard {var}/{count}: the environment variable {var} is not set (it should hold this worker's 0-based index)"
    )]
    Unset { var: String, count: u32 },
    #[error("--shard {var}/{count}: {var}={value:?} is not a 0-based index (a whole number from 0 to {last})", last = count - 1)]
    NotANumber { var: String, count: u32, value: String },
    #[error("--shard {var}/{count}: {var}={index} is out of range: a 0-based index must be below {count}")]
    OutOfRange { var: String, count: u32, index: u64 },
}

impl ShardSpec {
    /// The shard this worker runs; `env` looks a variable up (the process environment, in the binary).
    pub fn resolve(&self, env: impl Fn(&str) -> Option<String>) -> Result<Shard, ShardError> {
        let (var, count) = match self {
            ShardSpec::Fixed(shard) => return Ok(*shard),
            ShardSpec::FromEnv { var, count } => (var.clone(), *count),
        };
        let value = env(&var).ok_or_else(|| ShardError::Unset { var: var.clone(), count })?;
        let index = value.trim().parse::<u64>().map_err(|_| ShardError::NotANumber {
            var: var.clone(),
            count,
            value: value.clone(),
        })?;
        if index >= u64::from(count) {
            return Err(ShardError::OutOfRange { var, count, index });
        }
        // Below `count`, a u32: the conversion cannot fail.
        Ok(Shard { index: index as u32 + 1, count })
    }
}

impl FromStr for ShardSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (i, n) = s.split_once('/').unwrap_or((s, ""));
        let name = i.trim();
        let is_var = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        match n.trim().parse::<u32>() {
            Ok(count) if is_var && count > 0 => Ok(ShardSpec::FromEnv { var: name.to_string(), count }),
            _ if is_var => Err(format!("`{s}` is not a shard: write NAME/N with N >= 1, e.g. JOB_COMPLETION_INDEX/8")),
            _ => s
                .parse::<Shard>()
                .map(ShardSpec::Fixed)
                .map_err(|e| format!("{e}, or NAME/N to read a 0-based index from the environment variable NAME")),
        }
    }
}

impl fmt::Display for ShardSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShardSpec::Fixed(shard) => shard.fmt(f),
            ShardSpec::FromEnv { var, count } => write!(f, "{var}/{count}"),
        }
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

    /// An environment holding only these variables.
    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    #[test]
    fn shard_spec_syntax() {
        let spec = |s: &str| s.parse::<ShardSpec>();
        assert_eq!(spec("3/8"), Ok(ShardSpec::Fixed(Shard { index: 3, count: 8 })));
        assert_eq!(
            spec("JOB_COMPLETION_INDEX/8"),
            Ok(ShardSpec::FromEnv { var: "JOB_COMPLETION_INDEX".into(), count: 8 })
        );
        assert_eq!(spec("_I/2"), Ok(ShardSpec::FromEnv { var: "_I".into(), count: 2 }));
        assert_eq!(spec("AWS_BATCH_JOB_ARRAY_INDEX/8").unwrap().to_string(), "AWS_BATCH_JOB_ARRAY_INDEX/8");
        assert_eq!(spec("2/8").unwrap().to_string(), "2/8");
        for bad in
            ["0/4", "5/4", "1/0", "2", "a/b", "1/-1", "JOB_COMPLETION_INDEX", "I/0", "I/x", "9I/4", "A-B/4", "/4"]
        {
            let err = spec(bad).expect_err(bad);
            assert!(err.contains(&format!("`{bad}` is not a shard")), "{bad}: {err}");
        }
        assert!(spec("I/0").unwrap_err().contains("NAME/N with N >= 1"));
        assert!(spec("0/4").unwrap_err().contains("or NAME/N to read a 0-based index"));
    }

    #[test]
    fn an_index_from_the_environment_is_0_based() {
        let spec: ShardSpec = "JOB_COMPLETION_INDEX/8".parse().unwrap();
        for index in 0..8 {
            let shard = spec.resolve(env(&[("JOB_COMPLETION_INDEX", &index.to_string())])).unwrap();
            assert_eq!(shard, Shard { index: index + 1, count: 8 });
            assert_eq!(shard, format!("{}/8", index + 1).parse().unwrap());
        }
        // The same accounts as the 1-based form.
        let all = members(200);
        let by_env =
            Filters { shard: Some(spec.resolve(env(&[("JOB_COMPLETION_INDEX", "2")])).unwrap()), ..Filters::default() };
        let by_index = Filters { shard: Some("3/8".parse().unwrap()), ..Filters::default() };
        let ids = |f: &Filters| select(&all, f).unwrap().into_iter().map(|m| m.id).collect::<Vec<_>>();
        assert!(!ids(&by_index).is_empty());
        assert_eq!(ids(&by_env), ids(&by_index));
        // A fixed shard ignores the environment.
        let fixed: ShardSpec = "2/8".parse().unwrap();
        assert_eq!(fixed.resolve(env(&[])), Ok(Shard { index: 2, count: 8 }));
    }

    #[test]
    fn an_index_missing_or_wrong_in_the_environment_is_an_error() {
        let spec: ShardSpec = "AWS_BATCH_JOB_ARRAY_INDEX/4".parse().unwrap();
        let var = || "AWS_BATCH_JOB_ARRAY_INDEX".to_string();
        assert_eq!(spec.resolve(env(&[("OTHER", "1")])), Err(ShardError::Unset { var: var(), count: 4 }));
        for value in ["", "one", "-1", "1.5"] {
            let resolved = spec.resolve(env(&[("AWS_BATCH_JOB_ARRAY_INDEX", value)]));
            assert_eq!(resolved, Err(ShardError::NotANumber { var: var(), count: 4, value: value.into() }), "{value}");
        }
        for index in [4, 5, 99_999_999_999] {
            let resolved = spec.resolve(env(&[("AWS_BATCH_JOB_ARRAY_INDEX", &index.to_string())]));
            assert_eq!(resolved, Err(ShardError::OutOfRange { var: var(), count: 4, index }));
        }
        let message = |value: Option<&str>| {
            let vars: Vec<(&str, &str)> = value.map(|v| ("AWS_BATCH_JOB_ARRAY_INDEX", v)).into_iter().collect();
            spec.resolve(env(&vars)).unwrap_err().to_string()
        };
        assert_eq!(
            message(None),
            "--shard AWS_BATCH_JOB_ARRAY_INDEX/4: the environment variable AWS_BATCH_JOB_ARRAY_INDEX is not set (it \
             should hold this worker's 0-based index)"
        );
        assert_eq!(
            message(Some("x")),
            "--shard AWS_BATCH_JOB_ARRAY_INDEX/4: AWS_BATCH_JOB_ARRAY_INDEX=\"x\" is not a 0-based index (a whole \
             number from 0 to 3)"
        );
        assert_eq!(
            message(Some("4")),
            "--shard AWS_BATCH_JOB_ARRAY_INDEX/4: AWS_BATCH_JOB_ARRAY_INDEX=4 is out of range: a 0-based index must \
             be below 4"
        );
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
