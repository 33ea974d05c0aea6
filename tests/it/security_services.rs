//! The shipped baseline, converged on the emulator, meets what Prowler's checks look for in each region
//! (`guardduty_is_enabled`: a detector with status ENABLED; `securityhub_enabled`: DescribeHub answers;
//! `ec2_ebs_default_encryption`: EBS encryption by default on), and the next plan is clean. Prowler's own run
//! (`scripts/cis-prowler`) cannot tell Security Hub's standards or the Access Analyzer check on the emulator, which
//! lacks those APIs; `tests/it/families/security_hub.rs` and `tests/it/families/access_analyzer.rs` cover them with mocked clients.

use aws_sdk_guardduty::types::DetectorStatus;

use crate::harness::*;

#[tokio::test(flavor = "multi_thread")]
async fn a_converged_account_meets_prowlers_expectations_in_every_region() {
    let (moto, dir) = two_region_setup();
    let apply = moto.cli(dir.path(), &["apply", "--auto-approve"]);
    assert!(apply.status.success(), "{}\n{}", stdout(&apply), stderr(&apply));
    let clean = moto.cli(dir.path(), &["plan", "--detailed-exitcode"]);
    assert_eq!(clean.status.code(), Some(0), "{}", stdout(&clean));

    let sdk = moto.sdk_config("test", "test").await;
    for region in ["us-east-1", "eu-west-1"] {
        let at = aws_config::Region::new(region);
        let gd = aws_sdk_guardduty::Client::from_conf(
            aws_sdk_guardduty::config::Builder::from(&sdk).region(at.clone()).build(),
        );
        let ids = gd.list_detectors().send().await.unwrap().detector_ids().to_vec();
        assert_eq!(ids.len(), 1, "one detector in {region}");
        let detector = gd.get_detector().detector_id(&ids[0]).send().await.unwrap();
        assert_eq!(detector.status(), Some(&DetectorStatus::Enabled), "{region}");

        let sh = aws_sdk_securityhub::Client::from_conf(
            aws_sdk_securityhub::config::Builder::from(&sdk).region(at.clone()).build(),
        );
        let hub = sh.describe_hub().send().await.unwrap();
        assert!(hub.hub_arn().is_some_and(|a| a.ends_with(":hub/default")), "Security Hub enabled in {region}");

        let (status, body) = ec2_query(&moto.endpoint, region, "GetEbsEncryptionByDefault");
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("<ebsEncryptionByDefault>true</ebsEncryptionByDefault>"), "{region}: {body}");
    }
}
