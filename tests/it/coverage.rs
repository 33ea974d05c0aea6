//! Drift coverage (see `baseline::resources::coverage`).

use std::collections::BTreeSet;

use crate::fault_proxy::FaultProxy;
use crate::harness::*;
use crate::wire::write_of;

#[tokio::test]
async fn explore_writes() {
    let (moto, dir) = two_region_setup();
    let proxy = FaultProxy::strict(&moto.endpoint, vec![], vec![]);
    let out = cli_with_endpoint(dir.path(), &proxy.endpoint, &["apply", "--auto-approve"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let writes: BTreeSet<String> =
        proxy.passed().iter().filter_map(write_of).flat_map(|w| w.qualified().collect::<Vec<_>>()).collect();
    for w in writes {
        eprintln!("WRITE {w}");
    }
}
