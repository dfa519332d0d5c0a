"""The canonical record: the `aws.sagemaker_training_job` seed table.

Each field: its snake_case name, its seed type, and the DescribeTrainingJob key
it comes from. json fields keep AWS's PascalCase inside; hstore fields are
string -> string maps; timestamps are ISO-8601 UTC strings ending in "Z".
`region` is smscan's one extension: the seed has no region column, but reports
and fan-out need it, and the ARN carries it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FieldType = Literal["string", "json", "bool", "hstore", "timestamp", "int64"]


@dataclass(frozen=True)
class SeedField:
    name: str
    type: FieldType
    aws_key: str | None  # None: derived, not read from an AWS response


SEED_FIELDS: tuple[SeedField, ...] = (
    SeedField("_key", "string", None),
    SeedField("account_id", "string", None),
    SeedField("algorithm_specification", "json", "AlgorithmSpecification"),
    SeedField("auto_ml_job_arn", "string", "AutoMLJobArn"),
    SeedField("billable_time_in_seconds", "int64", "BillableTimeInSeconds"),
    SeedField("checkpoint_config", "json", "CheckpointConfig"),
    SeedField("creation_time", "timestamp", "CreationTime"),
    SeedField("debug_hook_config", "json", "DebugHookConfig"),
    SeedField("debug_rule_configurations", "json", "DebugRuleConfigurations"),
    SeedField("debug_rule_evaluation_statuses", "json", "DebugRuleEvaluationStatuses"),
    SeedField(
        "enable_inter_container_traffic_encryption", "bool", "EnableInterContainerTrafficEncryption"
    ),
    SeedField("enable_managed_spot_training", "bool", "EnableManagedSpotTraining"),
    SeedField("enable_network_isolation", "bool", "EnableNetworkIsolation"),
    SeedField("environment", "hstore", "Environment"),
    SeedField("experiment_config", "json", "ExperimentConfig"),
    SeedField("failure_reason", "string", "FailureReason"),
    SeedField("final_metric_data_list", "json", "FinalMetricDataList"),
    SeedField("hyper_parameters", "hstore", "HyperParameters"),
    SeedField("infra_check_config", "json", "InfraCheckConfig"),
    SeedField("input_data_config", "json", "InputDataConfig"),
    SeedField("labeling_job_arn", "string", "LabelingJobArn"),
    SeedField("last_modified_time", "timestamp", "LastModifiedTime"),
    SeedField("model_artifacts", "json", "ModelArtifacts"),
    SeedField("output_data_config", "json", "OutputDataConfig"),
    SeedField("profiler_config", "json", "ProfilerConfig"),
    SeedField("profiler_rule_configurations", "json", "ProfilerRuleConfigurations"),
    SeedField("profiler_rule_evaluation_statuses", "json", "ProfilerRuleEvaluationStatuses"),
    SeedField("profiling_status", "string", "ProfilingStatus"),
    SeedField("remote_debug_config", "json", "RemoteDebugConfig"),
    SeedField("resource_config", "json", "ResourceConfig"),
    SeedField("retry_strategy", "json", "RetryStrategy"),
    SeedField("role_arn", "string", "RoleArn"),
    SeedField("secondary_status", "string", "SecondaryStatus"),
    SeedField("secondary_status_transitions", "json", "SecondaryStatusTransitions"),
    SeedField("stopping_condition", "json", "StoppingCondition"),
    SeedField("tags", "hstore", "Tags"),
    SeedField("tensor_board_output_config", "json", "TensorBoardOutputConfig"),
    SeedField("training_end_time", "timestamp", "TrainingEndTime"),
    SeedField("training_job_arn", "string", "TrainingJobArn"),
    SeedField("training_job_name", "string", "TrainingJobName"),
    SeedField("training_job_status", "string", "TrainingJobStatus"),
    SeedField("training_start_time", "timestamp", "TrainingStartTime"),
    SeedField("training_time_in_seconds", "int64", "TrainingTimeInSeconds"),
    SeedField("tuning_job_arn", "string", "TuningJobArn"),
    SeedField("vpc_config", "json", "VpcConfig"),
    SeedField("warm_pool_status", "json", "WarmPoolStatus"),
    # smscan extension, derived from the ARN like account_id.
    SeedField("region", "string", None),
)

FIELDS_BY_NAME: dict[str, SeedField] = {f.name: f for f in SEED_FIELDS}
FIELDS_BY_AWS_KEY: dict[str, SeedField] = {f.aws_key: f for f in SEED_FIELDS if f.aws_key}
HSTORE_FIELDS = frozenset(f.name for f in SEED_FIELDS if f.type == "hstore")
JSON_FIELDS = frozenset(f.name for f in SEED_FIELDS if f.type == "json")
EXTENSION_FIELDS = frozenset({"region"})
