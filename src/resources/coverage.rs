//! Drift coverage: every setting `apply` writes, the call that reads it back on every `plan`, and what
//! happens when someone changes it by hand. A setting written but not compared is listed as unmanaged, with
//! the reason.
//!
//! The list is checked both ways by the tests: every field a write call sends on the wire must be named here
//! (`writes`, as `Operation.Field`), and every setting marked repaired or reported is changed by hand after a
//! converged apply, after which `plan` must name the resource and the attribute. The README's drift coverage
//! table is generated from this list ([`markdown_table`]).

/// What `plan` and `apply` do when the setting differs from the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drift {
    /// Read back and compared on every plan; `apply` writes it again.
    Repaired,
    /// Read back and compared; `plan` reports it and `apply` leaves it (the reason says why).
    Reported(&'static str),
    /// Names the resource (or the call): another value is another resource, which the baseline creates.
    Identity,
    /// Written, deliberately not compared (the reason says why).
    Unmanaged(&'static str),
}

/// One setting of one kind of resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    /// The resource kind, as in plan addresses (`cloudwatch.alarm`).
    pub kind: &'static str,
    /// The attribute `plan` names when the setting differs (`threshold`, `tags.*`, `statement[*]`).
    pub setting: &'static str,
    /// The read call that sees it.
    pub read: &'static str,
    /// The write calls and fields that set it, `Operation.Field` as they go over the wire. Empty for a setting
    /// the baseline never sends but compares (the call that writes the resource replaces it whole), and for
    /// one whose write call takes no parameter.
    pub writes: &'static [&'static str],
    pub drift: Drift,
    /// `(file, test)`: the test that shows this setting drifting, when the emulator's drift-coverage test cannot
    /// (mocked clients for an API the emulator lacks). Checked to exist.
    pub shown_in: Option<(&'static str, &'static str)>,
}

impl Setting {
    /// This setting, shown drifting by `test` in `file` rather than by the emulator's drift-coverage test.
    pub(crate) const fn shown_in(self, file: &'static str, test: &'static str) -> Setting {
        Setting { shown_in: Some((file, test)), ..self }
    }
}

pub(crate) const fn repaired(
    kind: &'static str,
    setting: &'static str,
    read: &'static str,
    writes: &'static [&'static str],
) -> Setting {
    Setting { kind, setting, read, writes, drift: Drift::Repaired, shown_in: None }
}

pub(crate) const fn identity(kind: &'static str, setting: &'static str, writes: &'static [&'static str]) -> Setting {
    Setting { kind, setting, read: "", writes, drift: Drift::Identity, shown_in: None }
}

pub(crate) const fn unmanaged(
    kind: &'static str,
    setting: &'static str,
    writes: &'static [&'static str],
    why: &'static str,
) -> Setting {
    Setting { kind, setting, read: "", writes, drift: Drift::Unmanaged(why), shown_in: None }
}

const CONTACT: &str = "account.alternate_contact";
const PRIMARY: &str = "account.primary_contact";
const TOPIC: &str = "sns.topic";
const TOPIC_POLICY: &str = "sns.topic_policy";
const SUBSCRIPTION: &str = "sns.subscription";
const ALARM: &str = "cloudwatch.alarm";
const FILTER: &str = "logs.metric_filter";
const LOG_GROUP: &str = "logs.log_group";
const ROLE: &str = "iam.role";
const ROLE_POLICY: &str = "iam.role_policy";
const TRAIL: &str = "cloudtrail.trail";
const SELECTORS: &str = "cloudtrail.event_selectors";
const BUCKET: &str = "s3.bucket";
const KEY: &str = "kms.key";
const BPA: &str = "s3.bucket_public_access_block";
const ACCOUNT_BPA: &str = "s3.account_public_access_block";
const ENCRYPTION: &str = "s3.bucket_encryption";
const LIFECYCLE: &str = "s3.bucket_lifecycle";
const RECORDER: &str = "config.recorder";
const CHANNEL: &str = "config.delivery_channel";
const RULE: &str = "config.rule";
const EVENT_RULE: &str = "events.rule";
const EVENT_TARGET: &str = "events.target";
const PASSWORD: &str = "iam.password_policy";
const BUDGET: &str = "budgets.budget";
const NOTIFICATION: &str = "budgets.notification";
const CUR: &str = "cur.report_definition";

const ALARM_READ: &str = "DescribeAlarms";
const FILTER_READ: &str = "DescribeMetricFilters";
const TRAIL_READ: &str = "DescribeTrails";
const RECORDER_READ: &str = "DescribeConfigurationRecorders";
const CHANNEL_READ: &str = "DescribeDeliveryChannels";
const PASSWORD_READ: &str = "GetAccountPasswordPolicy";
const CUR_READ: &str = "DescribeReportDefinitions";
const CONTACT_READ: &str = "GetAlternateContact";
const PRIMARY_READ: &str = "GetContactInformation";
const BUDGET_READ: &str = "DescribeBudgets";

/// Every setting the baseline writes, family by family; the families that own a baseline.toml section list
/// theirs in their own file (`COVERAGE`), see [`settings`].
const CORE: &[Setting] = &[
    // Contacts.
    identity(CONTACT, "type", &["PutAlternateContact.AlternateContactType"]),
    repaired(CONTACT, "name", CONTACT_READ, &["PutAlternateContact.Name"]),
    repaired(CONTACT, "title", CONTACT_READ, &["PutAlternateContact.Title"]),
    repaired(CONTACT, "email_address", CONTACT_READ, &["PutAlternateContact.EmailAddress"]),
    repaired(CONTACT, "phone_number", CONTACT_READ, &["PutAlternateContact.PhoneNumber"]),
    repaired(PRIMARY, "full_name", PRIMARY_READ, &["PutContactInformation.ContactInformation.FullName"]),
    repaired(PRIMARY, "company_name", PRIMARY_READ, &["PutContactInformation.ContactInformation.CompanyName"]),
    repaired(PRIMARY, "address_line1", PRIMARY_READ, &["PutContactInformation.ContactInformation.AddressLine1"]),
    repaired(PRIMARY, "address_line2", PRIMARY_READ, &["PutContactInformation.ContactInformation.AddressLine2"]),
    repaired(PRIMARY, "address_line3", PRIMARY_READ, &["PutContactInformation.ContactInformation.AddressLine3"]),
    repaired(PRIMARY, "city", PRIMARY_READ, &["PutContactInformation.ContactInformation.City"]),
    repaired(PRIMARY, "state_or_region", PRIMARY_READ, &["PutContactInformation.ContactInformation.StateOrRegion"]),
    repaired(
        PRIMARY,
        "district_or_county",
        PRIMARY_READ,
        &["PutContactInformation.ContactInformation.DistrictOrCounty"],
    ),
    repaired(PRIMARY, "postal_code", PRIMARY_READ, &["PutContactInformation.ContactInformation.PostalCode"]),
    repaired(PRIMARY, "country_code", PRIMARY_READ, &["PutContactInformation.ContactInformation.CountryCode"]),
    repaired(PRIMARY, "phone_number", PRIMARY_READ, &["PutContactInformation.ContactInformation.PhoneNumber"]),
    repaired(PRIMARY, "website_url", PRIMARY_READ, &["PutContactInformation.ContactInformation.WebsiteUrl"]),
    // Notification topics.
    identity(TOPIC, "name", &["CreateTopic.Name", "TagResource.ResourceArn", "SetTopicAttributes.TopicArn"]),
    repaired(TOPIC, "tags.*", "ListTagsForResource", &["TagResource.Tags"]),
    repaired(TOPIC_POLICY, "statement[*]", "GetTopicAttributes", &["SetTopicAttributes.Attribute.Policy"]),
    Setting {
        kind: TOPIC_POLICY,
        setting: "a foreign Deny of sns:Publish",
        read: "GetTopicAttributes",
        writes: &[],
        drift: Drift::Reported(
            "a statement baseline does not own that denies a publishing service outright is a warning, never edited",
        ),
        shown_in: None,
    },
    identity(SUBSCRIPTION, "endpoint", &["Subscribe.TopicArn", "Subscribe.Protocol", "Subscribe.Endpoint"]),
    unmanaged(
        SUBSCRIPTION,
        "return_subscription_arn",
        &["Subscribe.ReturnSubscriptionArn"],
        "an option of the request (answer with the ARN), not a setting",
    ),
    repaired(
        SUBSCRIPTION,
        "filter_policy",
        "GetSubscriptionAttributes",
        &["SetSubscriptionAttributes.Attribute.FilterPolicy", "SetSubscriptionAttributes.SubscriptionArn"],
    ),
    // Alarms: the metric filter on the trail's log group, the alarm on its metric.
    identity(FILTER, "name", &["PutMetricFilter.filterName", "PutMetricFilter.logGroupName"]),
    repaired(FILTER, "filter_pattern", FILTER_READ, &["PutMetricFilter.filterPattern"]),
    repaired(FILTER, "metric_name", FILTER_READ, &["PutMetricFilter.metricTransformations[].metricName"]),
    repaired(FILTER, "metric_namespace", FILTER_READ, &["PutMetricFilter.metricTransformations[].metricNamespace"]),
    repaired(FILTER, "metric_value", FILTER_READ, &["PutMetricFilter.metricTransformations[].metricValue"]),
    repaired(FILTER, "metric_dimensions", FILTER_READ, &[]),
    repaired(FILTER, "metric_unit", FILTER_READ, &[]),
    repaired(FILTER, "metric_default_value", FILTER_READ, &[]),
    identity(ALARM, "name", &["PutMetricAlarm.AlarmName", "TagResource.ResourceARN"]),
    repaired(ALARM, "metric_name", ALARM_READ, &["PutMetricAlarm.MetricName"]),
    repaired(ALARM, "namespace", ALARM_READ, &["PutMetricAlarm.Namespace"]),
    repaired(ALARM, "statistic", ALARM_READ, &["PutMetricAlarm.Statistic"]),
    repaired(ALARM, "period", ALARM_READ, &["PutMetricAlarm.Period"]),
    repaired(ALARM, "evaluation_periods", ALARM_READ, &["PutMetricAlarm.EvaluationPeriods"]),
    repaired(ALARM, "threshold", ALARM_READ, &["PutMetricAlarm.Threshold"]),
    repaired(ALARM, "comparison_operator", ALARM_READ, &["PutMetricAlarm.ComparisonOperator"]),
    repaired(ALARM, "treat_missing_data", ALARM_READ, &["PutMetricAlarm.TreatMissingData"]),
    repaired(ALARM, "actions_enabled", ALARM_READ, &["PutMetricAlarm.ActionsEnabled"]),
    repaired(ALARM, "alarm_actions", ALARM_READ, &["PutMetricAlarm.AlarmActions"]),
    repaired(ALARM, "description", ALARM_READ, &["PutMetricAlarm.AlarmDescription"]),
    repaired(ALARM, "dimensions", ALARM_READ, &[]),
    repaired(ALARM, "unit", ALARM_READ, &[]),
    repaired(ALARM, "datapoints_to_alarm", ALARM_READ, &[]),
    repaired(ALARM, "tags.*", "ListTagsForResource", &["PutMetricAlarm.Tags", "TagResource.Tags"]),
    // The trail, its log group and delivery role.
    identity(LOG_GROUP, "name", &["CreateLogGroup.logGroupName", "PutRetentionPolicy.logGroupName"]),
    repaired(LOG_GROUP, "retention_in_days", "DescribeLogGroups", &["PutRetentionPolicy.retentionInDays"]),
    repaired(
        LOG_GROUP,
        "tags.*",
        "ListTagsForResource",
        &["CreateLogGroup.tags", "TagResource.resourceArn", "TagResource.tags"],
    ),
    identity(ROLE, "name", &["CreateRole.RoleName", "UpdateAssumeRolePolicy.RoleName", "AttachRolePolicy.RoleName"]),
    repaired(
        ROLE,
        "assume_role_policy",
        "GetRole",
        &["CreateRole.AssumeRolePolicyDocument", "UpdateAssumeRolePolicy.PolicyDocument"],
    ),
    repaired(ROLE, "managed_policies", "ListAttachedRolePolicies", &["AttachRolePolicy.PolicyArn"]),
    repaired(
        ROLE,
        "description",
        "GetRole",
        &["CreateRole.Description", "UpdateRole.RoleName", "UpdateRole.Description"],
    ),
    repaired(ROLE, "tags.*", "GetRole", &["CreateRole.Tags", "TagRole.RoleName", "TagRole.Tags"]),
    repaired(ROLE, "policy", "GetRolePolicy", &["PutRolePolicy.PolicyDocument"]),
    identity(ROLE_POLICY, "name", &["PutRolePolicy.RoleName", "PutRolePolicy.PolicyName"]),
    repaired(ROLE_POLICY, "policy_document", "GetRolePolicy", &["PutRolePolicy.PolicyDocument"]),
    identity("iam.service_linked_role", "aws_service_name", &["CreateServiceLinkedRole.AWSServiceName"]),
    identity(TRAIL, "name", &["CreateTrail.Name", "UpdateTrail.Name", "StartLogging.Name"]),
    repaired(TRAIL, "s3_bucket_name", TRAIL_READ, &["CreateTrail.S3BucketName", "UpdateTrail.S3BucketName"]),
    repaired(TRAIL, "s3_key_prefix", TRAIL_READ, &["CreateTrail.S3KeyPrefix", "UpdateTrail.S3KeyPrefix"]),
    repaired(
        TRAIL,
        "is_multi_region_trail",
        TRAIL_READ,
        &["CreateTrail.IsMultiRegionTrail", "UpdateTrail.IsMultiRegionTrail"],
    ),
    repaired(
        TRAIL,
        "include_global_service_events",
        TRAIL_READ,
        &["CreateTrail.IncludeGlobalServiceEvents", "UpdateTrail.IncludeGlobalServiceEvents"],
    ),
    repaired(
        TRAIL,
        "log_file_validation_enabled",
        TRAIL_READ,
        &["CreateTrail.EnableLogFileValidation", "UpdateTrail.EnableLogFileValidation"],
    ),
    repaired(
        TRAIL,
        "cloud_watch_logs_log_group_arn",
        TRAIL_READ,
        &["CreateTrail.CloudWatchLogsLogGroupArn", "UpdateTrail.CloudWatchLogsLogGroupArn"],
    ),
    repaired(
        TRAIL,
        "cloud_watch_logs_role_arn",
        TRAIL_READ,
        &["CreateTrail.CloudWatchLogsRoleArn", "UpdateTrail.CloudWatchLogsRoleArn"],
    ),
    repaired(TRAIL, "kms_key_id", TRAIL_READ, &["CreateTrail.KmsKeyId", "UpdateTrail.KmsKeyId"]),
    repaired(
        TRAIL,
        "tags.*",
        "ListTags",
        &[
            "CreateTrail.TagsList[].Key",
            "CreateTrail.TagsList[].Value",
            "AddTags.ResourceId",
            "AddTags.TagsList[].Key",
            "AddTags.TagsList[].Value",
        ],
    ),
    repaired(
        SELECTORS,
        "management_events",
        "GetEventSelectors",
        &[
            "PutEventSelectors.TrailName",
            "PutEventSelectors.EventSelectors[].IncludeManagementEvents",
            "PutEventSelectors.EventSelectors[].ReadWriteType",
            "PutEventSelectors.EventSelectors[].DataResources",
            "PutEventSelectors.EventSelectors[].ExcludeManagementEventSources",
            "PutEventSelectors.AdvancedEventSelectors[].Name",
            "PutEventSelectors.AdvancedEventSelectors[].FieldSelectors",
        ],
    ),
    repaired(SELECTORS, "excluded_management_event_sources", "GetEventSelectors", &[]),
    repaired(SELECTORS, "s3_data_events", "GetEventSelectors", &[]),
    repaired("cloudtrail.logging", "is_logging", "GetTrailStatus", &["StartLogging.Name"]),
    // The log archive bucket and the account's Block Public Access.
    identity(BUCKET, "name", &["CreateBucket.LocationConstraint"]),
    Setting {
        kind: BUCKET,
        setting: "region",
        read: "GetBucketLocation",
        writes: &["CreateBucket.LocationConstraint"],
        drift: Drift::Reported("a bucket cannot move: a bucket in another region is reported, never re-created"),
        shown_in: None,
    },
    repaired(BUCKET, "tags.*", "GetBucketTagging", &["PutBucketTagging.Key", "PutBucketTagging.Value"]),
    repaired(
        "s3.bucket_ownership",
        "object_ownership",
        "GetBucketOwnershipControls",
        &["CreateBucket.x-amz-object-ownership", "PutBucketOwnershipControls.ObjectOwnership"],
    ),
    repaired(BPA, "block_public_acls", "GetPublicAccessBlock", &["PutPublicAccessBlock.BlockPublicAcls"]),
    repaired(BPA, "ignore_public_acls", "GetPublicAccessBlock", &["PutPublicAccessBlock.IgnorePublicAcls"]),
    repaired(BPA, "block_public_policy", "GetPublicAccessBlock", &["PutPublicAccessBlock.BlockPublicPolicy"]),
    repaired(BPA, "restrict_public_buckets", "GetPublicAccessBlock", &["PutPublicAccessBlock.RestrictPublicBuckets"]),
    repaired(ENCRYPTION, "sse_algorithm", "GetBucketEncryption", &["PutBucketEncryption.SSEAlgorithm"]),
    repaired(ENCRYPTION, "kms_master_key_id", "GetBucketEncryption", &["PutBucketEncryption.KMSMasterKeyID"]),
    repaired(ENCRYPTION, "bucket_key_enabled", "GetBucketEncryption", &["PutBucketEncryption.BucketKeyEnabled"]),
    repaired("s3.bucket_versioning", "versioning", "GetBucketVersioning", &["PutBucketVersioning.Status"]),
    identity(LIFECYCLE, "rule[baseline-log-retention]", &["PutBucketLifecycleConfiguration.ID"]),
    repaired(
        LIFECYCLE,
        "rule[*].status",
        "GetBucketLifecycleConfiguration",
        &["PutBucketLifecycleConfiguration.Status"],
    ),
    repaired(
        LIFECYCLE,
        "rule[*].filter",
        "GetBucketLifecycleConfiguration",
        &["PutBucketLifecycleConfiguration.Prefix"],
    ),
    repaired(
        LIFECYCLE,
        "rule[*].transition_to_glacier_days",
        "GetBucketLifecycleConfiguration",
        &["PutBucketLifecycleConfiguration.Days"],
    ),
    repaired(
        LIFECYCLE,
        "rule[*].transition_storage_class",
        "GetBucketLifecycleConfiguration",
        &["PutBucketLifecycleConfiguration.StorageClass"],
    ),
    repaired(
        LIFECYCLE,
        "rule[*].expiration_days",
        "GetBucketLifecycleConfiguration",
        &["PutBucketLifecycleConfiguration.Days"],
    ),
    repaired(
        LIFECYCLE,
        "rule[*].noncurrent_expiration_days",
        "GetBucketLifecycleConfiguration",
        &["PutBucketLifecycleConfiguration.NoncurrentDays"],
    ),
    repaired(
        LIFECYCLE,
        "rule[*].abort_incomplete_multipart_upload_days",
        "GetBucketLifecycleConfiguration",
        &["PutBucketLifecycleConfiguration.DaysAfterInitiation"],
    ),
    repaired("s3.bucket_policy", "statement[*]", "GetBucketPolicy", &["PutBucketPolicy.Policy"]),
    repaired("s3.bucket_logging", "target_bucket", "GetBucketLogging", &["PutBucketLogging.TargetBucket"]),
    repaired("s3.bucket_logging", "target_prefix", "GetBucketLogging", &["PutBucketLogging.TargetPrefix"]),
    identity(
        KEY,
        "alias",
        &[
            "CreateAlias.AliasName",
            "CreateAlias.TargetKeyId",
            "PutKeyPolicy.KeyId",
            "PutKeyPolicy.PolicyName",
            "TagResource.KeyId",
        ],
    ),
    repaired(KEY, "key_state", "DescribeKey", &["EnableKey.KeyId", "CancelKeyDeletion.KeyId"]),
    repaired(
        KEY,
        "tags.*",
        "ListResourceTags",
        &[
            "CreateKey.Tags[].TagKey",
            "CreateKey.Tags[].TagValue",
            "TagResource.Tags[].TagKey",
            "TagResource.Tags[].TagValue",
        ],
    ),
    unmanaged(
        KEY,
        "description",
        &["CreateKey.Description"],
        "written when baseline creates the key; an adopted key keeps its own description",
    ),
    repaired("kms.key_rotation", "key_rotation_enabled", "GetKeyRotationStatus", &["EnableKeyRotation.KeyId"]),
    repaired("kms.key_policy", "statement[*]", "GetKeyPolicy", &["CreateKey.Policy", "PutKeyPolicy.Policy"]),
    repaired(
        ACCOUNT_BPA,
        "block_public_acls",
        "GetAccountPublicAccessBlock",
        &["PutPublicAccessBlock.BlockPublicAcls"],
    ),
    repaired(
        ACCOUNT_BPA,
        "ignore_public_acls",
        "GetAccountPublicAccessBlock",
        &["PutPublicAccessBlock.IgnorePublicAcls"],
    ),
    repaired(
        ACCOUNT_BPA,
        "block_public_policy",
        "GetAccountPublicAccessBlock",
        &["PutPublicAccessBlock.BlockPublicPolicy"],
    ),
    repaired(
        ACCOUNT_BPA,
        "restrict_public_buckets",
        "GetAccountPublicAccessBlock",
        &["PutPublicAccessBlock.RestrictPublicBuckets"],
    ),
    repaired(
        "ec2.ebs_encryption_by_default",
        "ebs_encryption_by_default",
        "GetEbsEncryptionByDefault",
        // EnableEbsEncryptionByDefault has no parameter: the call itself is the setting.
        &[],
    ),
    // AWS Config: recorder, channel, recording, rules, and the EventBridge path to the security topic.
    identity(RECORDER, "name", &["PutConfigurationRecorder.ConfigurationRecorder.name"]),
    repaired(RECORDER, "role_arn", RECORDER_READ, &["PutConfigurationRecorder.ConfigurationRecorder.roleARN"]),
    repaired(
        RECORDER,
        "all_supported",
        RECORDER_READ,
        &["PutConfigurationRecorder.ConfigurationRecorder.recordingGroup"],
    ),
    repaired(
        RECORDER,
        "include_global_resource_types",
        RECORDER_READ,
        &["PutConfigurationRecorder.ConfigurationRecorder.recordingGroup"],
    ),
    repaired(RECORDER, "excluded_resource_types", RECORDER_READ, &[]),
    repaired(
        RECORDER,
        "recording_frequency",
        RECORDER_READ,
        &["PutConfigurationRecorder.ConfigurationRecorder.recordingMode"],
    ),
    identity(
        CHANNEL,
        "name",
        &[
            "PutDeliveryChannel.DeliveryChannel.name",
            "DeleteDeliveryChannel.DeliveryChannelName",
            "StopConfigurationRecorder.ConfigurationRecorderName",
        ],
    ),
    repaired(CHANNEL, "s3_bucket_name", CHANNEL_READ, &["PutDeliveryChannel.DeliveryChannel.s3BucketName"]),
    repaired(CHANNEL, "s3_key_prefix", CHANNEL_READ, &["PutDeliveryChannel.DeliveryChannel.s3KeyPrefix"]),
    repaired(CHANNEL, "sns_topic_arn", CHANNEL_READ, &["PutDeliveryChannel.DeliveryChannel.snsTopicARN"]),
    repaired(
        CHANNEL,
        "delivery_frequency",
        CHANNEL_READ,
        &["PutDeliveryChannel.DeliveryChannel.configSnapshotDeliveryProperties"],
    ),
    repaired(
        "config.recording",
        "recording",
        "DescribeConfigurationRecorderStatus",
        &["StartConfigurationRecorder.ConfigurationRecorderName"],
    ),
    identity(RULE, "name", &["PutConfigRule.ConfigRule.ConfigRuleName"]),
    repaired(RULE, "source_owner", "DescribeConfigRules", &["PutConfigRule.ConfigRule.Source"]),
    repaired(RULE, "source_identifier", "DescribeConfigRules", &["PutConfigRule.ConfigRule.Source"]),
    repaired(RULE, "input_parameters", "DescribeConfigRules", &["PutConfigRule.ConfigRule.InputParameters"]),
    repaired(RULE, "scope", "DescribeConfigRules", &["PutConfigRule.ConfigRule.Scope"]),
    identity(EVENT_RULE, "name", &["PutRule.Name", "PutTargets.Rule"]),
    repaired(EVENT_RULE, "event_pattern", "DescribeRule", &["PutRule.EventPattern"]),
    repaired(EVENT_RULE, "state", "DescribeRule", &["PutRule.State"]),
    repaired(EVENT_RULE, "description", "DescribeRule", &["PutRule.Description"]),
    identity(EVENT_TARGET, "id", &["PutTargets.Targets[].Id"]),
    repaired(EVENT_TARGET, "target", "ListTargetsByRule", &["PutTargets.Targets[].Arn"]),
    repaired(EVENT_TARGET, "role_arn", "ListTargetsByRule", &["PutTargets.Targets[].RoleArn"]),
    repaired(EVENT_TARGET, "input", "ListTargetsByRule", &[]),
    // IAM hygiene.
    repaired(
        PASSWORD,
        "minimum_password_length",
        PASSWORD_READ,
        &["UpdateAccountPasswordPolicy.MinimumPasswordLength"],
    ),
    repaired(
        PASSWORD,
        "require_uppercase_characters",
        PASSWORD_READ,
        &["UpdateAccountPasswordPolicy.RequireUppercaseCharacters"],
    ),
    repaired(
        PASSWORD,
        "require_lowercase_characters",
        PASSWORD_READ,
        &["UpdateAccountPasswordPolicy.RequireLowercaseCharacters"],
    ),
    repaired(PASSWORD, "require_numbers", PASSWORD_READ, &["UpdateAccountPasswordPolicy.RequireNumbers"]),
    repaired(PASSWORD, "require_symbols", PASSWORD_READ, &["UpdateAccountPasswordPolicy.RequireSymbols"]),
    repaired(
        PASSWORD,
        "allow_users_to_change_password",
        PASSWORD_READ,
        &["UpdateAccountPasswordPolicy.AllowUsersToChangePassword"],
    ),
    repaired(
        PASSWORD,
        "password_reuse_prevention",
        PASSWORD_READ,
        &["UpdateAccountPasswordPolicy.PasswordReusePrevention"],
    ),
    repaired(PASSWORD, "max_password_age", PASSWORD_READ, &["UpdateAccountPasswordPolicy.MaxPasswordAge"]),
    repaired(PASSWORD, "hard_expiry", PASSWORD_READ, &["UpdateAccountPasswordPolicy.HardExpiry"]),
    identity(
        "iam.group",
        "name",
        &["CreateGroup.GroupName", "AttachGroupPolicy.GroupName", "DetachGroupPolicy.GroupName"],
    ),
    repaired("iam.group", "path", "ListGroups", &["CreateGroup.Path", "UpdateGroup.NewPath"]),
    repaired(
        "iam.group_policy_attachments",
        "attached",
        "ListAttachedGroupPolicies",
        &["AttachGroupPolicy.PolicyArn", "DetachGroupPolicy.PolicyArn"],
    ),
    // Budgets.
    identity(
        BUDGET,
        "name",
        &[
            "CreateBudget.AccountId",
            "CreateBudget.Budget.BudgetName",
            "UpdateBudget.AccountId",
            "UpdateBudget.NewBudget.BudgetName",
        ],
    ),
    repaired(BUDGET, "limit", BUDGET_READ, &["CreateBudget.Budget.BudgetLimit", "UpdateBudget.NewBudget.BudgetLimit"]),
    repaired(BUDGET, "time_unit", BUDGET_READ, &["CreateBudget.Budget.TimeUnit", "UpdateBudget.NewBudget.TimeUnit"]),
    repaired(
        BUDGET,
        "cost_filters",
        BUDGET_READ,
        &["CreateBudget.Budget.CostFilters", "UpdateBudget.NewBudget.CostFilters"],
    ),
    unmanaged(
        BUDGET,
        "budget_type",
        &["CreateBudget.Budget.BudgetType", "UpdateBudget.NewBudget.BudgetType"],
        "always COST; AWS does not change a budget's type, another type is another budget",
    ),
    identity(
        NOTIFICATION,
        "notification",
        &[
            "CreateBudget.NotificationsWithSubscribers[].Notification",
            "CreateNotification.AccountId",
            "CreateNotification.BudgetName",
            "CreateNotification.Notification",
            "UpdateNotification.AccountId",
            "UpdateNotification.BudgetName",
            "UpdateNotification.OldNotification",
            "DeleteNotification.AccountId",
            "DeleteNotification.BudgetName",
            "DeleteNotification.Notification",
        ],
    ),
    repaired(
        NOTIFICATION,
        "threshold_percent",
        "DescribeNotificationsForBudget",
        &["UpdateNotification.NewNotification"],
    ),
    repaired(
        NOTIFICATION,
        "subscribers",
        "DescribeSubscribersForNotification",
        &[
            "CreateBudget.NotificationsWithSubscribers[].Subscribers",
            "CreateNotification.Subscribers",
            "CreateSubscriber.AccountId",
            "CreateSubscriber.BudgetName",
            "CreateSubscriber.Notification",
            "CreateSubscriber.Subscriber",
            "DeleteSubscriber.AccountId",
            "DeleteSubscriber.BudgetName",
            "DeleteSubscriber.Notification",
            "DeleteSubscriber.Subscriber",
        ],
    ),
    // The Cost and Usage Report.
    identity(CUR, "name", &["PutReportDefinition.ReportDefinition.ReportName", "ModifyReportDefinition.ReportName"]),
    repaired(
        CUR,
        "time_unit",
        CUR_READ,
        &["PutReportDefinition.ReportDefinition.TimeUnit", "ModifyReportDefinition.ReportDefinition.TimeUnit"],
    ),
    repaired(
        CUR,
        "format",
        CUR_READ,
        &["PutReportDefinition.ReportDefinition.Format", "ModifyReportDefinition.ReportDefinition.Format"],
    ),
    repaired(
        CUR,
        "compression",
        CUR_READ,
        &["PutReportDefinition.ReportDefinition.Compression", "ModifyReportDefinition.ReportDefinition.Compression"],
    ),
    repaired(
        CUR,
        "additional_schema_elements",
        CUR_READ,
        &[
            "PutReportDefinition.ReportDefinition.AdditionalSchemaElements",
            "ModifyReportDefinition.ReportDefinition.AdditionalSchemaElements",
        ],
    ),
    repaired(
        CUR,
        "s3_bucket",
        CUR_READ,
        &["PutReportDefinition.ReportDefinition.S3Bucket", "ModifyReportDefinition.ReportDefinition.S3Bucket"],
    ),
    repaired(
        CUR,
        "s3_prefix",
        CUR_READ,
        &["PutReportDefinition.ReportDefinition.S3Prefix", "ModifyReportDefinition.ReportDefinition.S3Prefix"],
    ),
    repaired(
        CUR,
        "s3_region",
        CUR_READ,
        &["PutReportDefinition.ReportDefinition.S3Region", "ModifyReportDefinition.ReportDefinition.S3Region"],
    ),
    repaired(
        CUR,
        "additional_artifacts",
        CUR_READ,
        &[
            "PutReportDefinition.ReportDefinition.AdditionalArtifacts",
            "ModifyReportDefinition.ReportDefinition.AdditionalArtifacts",
        ],
    ),
    repaired(
        CUR,
        "refresh_closed_reports",
        CUR_READ,
        &[
            "PutReportDefinition.ReportDefinition.RefreshClosedReports",
            "ModifyReportDefinition.ReportDefinition.RefreshClosedReports",
        ],
    ),
    repaired(
        CUR,
        "report_versioning",
        CUR_READ,
        &[
            "PutReportDefinition.ReportDefinition.ReportVersioning",
            "ModifyReportDefinition.ReportDefinition.ReportVersioning",
        ],
    ),
];

/// Every setting the baseline writes: the list here, then each sectioned family's own, in registry order.
pub fn settings() -> impl Iterator<Item = &'static Setting> {
    CORE.iter().chain(super::FAMILY_COVERAGE.iter().flat_map(|family| family.iter()))
}

/// Whether the list names `Operation.Field` among the writes of some setting.
pub fn names_write(qualified: &str) -> bool {
    settings().any(|s| s.writes.contains(&qualified))
}

/// The README's drift coverage table: one row per resource kind and outcome, its settings and read calls.
pub fn markdown_table() -> String {
    let mut rows: Vec<(&str, String, Vec<&str>, Vec<&str>)> = Vec::new();
    for s in settings() {
        let outcome = match s.drift {
            Drift::Repaired => "detected, repaired".to_string(),
            Drift::Reported(why) => format!("detected, reported only: {why}"),
            Drift::Identity => "names the resource: another value is another resource, created".to_string(),
            Drift::Unmanaged(why) => format!("written, not compared: {why}"),
        };
        match rows.iter_mut().find(|(kind, o, _, _)| *kind == s.kind && *o == outcome) {
            Some((_, _, settings, reads)) => {
                settings.push(s.setting);
                if !s.read.is_empty() && !reads.contains(&s.read) {
                    reads.push(s.read);
                }
            }
            None => {
                rows.push((s.kind, outcome, vec![s.setting], [s.read].into_iter().filter(|r| !r.is_empty()).collect()))
            }
        }
    }
    let mut table = String::from("| resource | settings | read back with | on drift |\n|---|---|---|---|\n");
    for (kind, outcome, settings, reads) in rows {
        let settings: Vec<String> = settings.iter().map(|s| format!("`{s}`")).collect();
        let reads = if reads.is_empty() { "–".to_string() } else { reads.join(", ") };
        table.push_str(&format!("| `{kind}` | {} | {reads} | {outcome} |\n", settings.join(", ")));
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    const START: &str = "<!-- drift-coverage:start -->\n";
    const END: &str = "<!-- drift-coverage:end -->";

    #[test]
    fn every_setting_is_listed_once_and_every_reason_is_given() {
        let mut seen = std::collections::BTreeSet::new();
        for s in settings() {
            assert!(seen.insert((s.kind, s.setting)), "{}/{} listed twice", s.kind, s.setting);
            match s.drift {
                Drift::Repaired => assert!(!s.read.is_empty(), "{}/{}: which call reads it back?", s.kind, s.setting),
                Drift::Reported(why) | Drift::Unmanaged(why) => assert!(!why.is_empty()),
                Drift::Identity => assert!(!s.writes.is_empty()),
            }
            for w in s.writes {
                assert!(w.split('.').count() >= 2, "{w}: Operation.Field");
            }
        }
    }

    /// The README's table is the one generated from the list (`UPDATE_README=1` rewrites it).
    #[test]
    fn the_readme_table_is_generated_from_the_list() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
        let readme = std::fs::read_to_string(&path).unwrap();
        let start = readme.find(START).expect("README has the drift coverage markers") + START.len();
        let end = readme[start..].find(END).expect("README has the end marker") + start;
        let table = markdown_table();
        if std::env::var_os("UPDATE_README").is_some() {
            std::fs::write(&path, format!("{}{table}{}", &readme[..start], &readme[end..])).unwrap();
            return;
        }
        assert_eq!(readme[start..end], table, "README drift coverage table is stale: run with UPDATE_README=1");
    }
}
