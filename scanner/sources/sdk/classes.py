"""The SageMaker Python SDK classes that define a training job, by their public import paths.

Taken from the `sagemaker` package on PyPI: v2 from sagemaker 2.257.7
(`sagemaker/estimator.py`, the framework packages, `sagemaker/amazon/`,
`sagemaker/jumpstart/estimator.py`), v3 from sagemaker 3.27.0 / sagemaker-train
1.27.0 (`sagemaker/train/model_trainer.py`, `sagemaker/train/configs.py`, which
re-exports `sagemaker.core.training.configs`), and the v2 preview of ModelTrainer
(`sagemaker/modules/train/model_trainer.py`, `sagemaker/modules/configs.py`).
A class counts only when its import resolves to one of these modules.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class JobClass:
    name: str
    family: str  # "estimator" (v2 EstimatorBase) or "trainer" (ModelTrainer)
    framework: bool = False  # the SDK picks the image from framework_version / py_version
    single_instance: bool = False  # the SDK forces instance_count = 1
    jumpstart: bool = False  # the model spec supplies image, instance type and more
    builtin: bool = False  # an Amazon algorithm: the SDK picks the image by region


def _paths(*modules: str) -> frozenset[str]:
    return frozenset(modules)


_FRAMEWORKS = {
    "PyTorch": "pytorch",
    "TensorFlow": "tensorflow",
    "HuggingFace": "huggingface",
    "XGBoost": "xgboost",
    "MXNet": "mxnet",
    "Chainer": "chainer",
    "RLEstimator": "rl",
}
_BUILTINS = {
    "KMeans": "kmeans",
    "LinearLearner": "linear_learner",
    "PCA": "pca",
    "LDA": "lda",
    "NTM": "ntm",
    "RandomCutForest": "randomcutforest",
    "FactorizationMachines": "factorization_machines",
    "KNN": "knn",
    "Object2Vec": "object2vec",
    "IPInsights": "ipinsights",
}

# qualified name -> class
CLASSES: dict[str, JobClass] = {}


def _add(job: JobClass, modules: frozenset[str]) -> None:
    for module in modules:
        CLASSES[f"{module}.{job.name}"] = job


_add(JobClass("Estimator", "estimator"), _paths("sagemaker", "sagemaker.estimator"))
_add(JobClass("AlgorithmEstimator", "estimator"), _paths("sagemaker", "sagemaker.algorithm"))
_add(
    JobClass("JumpStartEstimator", "estimator", jumpstart=True),
    _paths("sagemaker.jumpstart.estimator"),
)
for _name, _package in _FRAMEWORKS.items():
    _add(JobClass(_name, "estimator", framework=True), _paths(f"sagemaker.{_package}", f"sagemaker.{_package}.estimator"))
_add(
    JobClass("SKLearn", "estimator", framework=True, single_instance=True),
    _paths("sagemaker.sklearn", "sagemaker.sklearn.estimator"),
)
for _name, _module in _BUILTINS.items():
    job = JobClass(_name, "estimator", builtin=True, single_instance=_name == "LDA")
    _add(job, _paths("sagemaker", "sagemaker.amazon", f"sagemaker.amazon.{_module}"))
_add(
    JobClass("ModelTrainer", "trainer"),
    _paths("sagemaker.train", "sagemaker.train.model_trainer", "sagemaker.modules.train", "sagemaker.modules.train.model_trainer"),
)

_CONFIG_MODULES = _paths(
    "sagemaker.train",
    "sagemaker.train.configs",
    "sagemaker.core.training.configs",
    "sagemaker.core.shapes",
    "sagemaker.modules",
    "sagemaker.modules.configs",
    "sagemaker_core.shapes",
    "sagemaker.instance_group",
    "sagemaker",
)
# Config objects whose keyword arguments are read (v3 configs, v2 InstanceGroup).
CONFIG_CLASSES = frozenset(
    {
        "Compute", "Networking", "StoppingCondition", "OutputDataConfig", "CheckpointConfig",
        "SourceCode", "TrainingImageConfig", "RetryStrategy", "RemoteDebugConfig",
        "InfraCheckConfig", "SessionChainingConfig", "TensorBoardOutputConfig", "Tag",
        "InstanceGroup", "VpcConfig", "ResourceConfig",
    }
)  # fmt: skip
LOCAL_SESSIONS = frozenset({"sagemaker.local.LocalSession", "sagemaker.local.local_session.LocalSession"})
PIPELINE_PARAMETERS = frozenset(
    {"ParameterString", "ParameterInteger", "ParameterFloat", "ParameterBoolean"}
)


def job_class(qualified: str | None) -> JobClass | None:
    return CLASSES.get(qualified or "")


def config_class(qualified: str | None) -> str | None:
    """The config class's name when `qualified` is one of the SDK's own, else None."""
    if not qualified or "." not in qualified:
        return None
    module, name = qualified.rsplit(".", 1)
    return name if name in CONFIG_CLASSES and module in _CONFIG_MODULES else None


def is_pipeline_parameter(qualified: str | None) -> bool:
    if not qualified or "." not in qualified:
        return False
    module, name = qualified.rsplit(".", 1)
    return name in PIPELINE_PARAMETERS and module.startswith(("sagemaker.workflow", "sagemaker.core.workflow"))


def is_mode(qualified: str | None, member: str) -> bool:
    """`Mode.LOCAL_CONTAINER` of ModelTrainer (v3 and the v2 preview)."""
    return qualified in {
        f"sagemaker.train.model_trainer.Mode.{member}",
        f"sagemaker.train.Mode.{member}",
        f"sagemaker.modules.train.model_trainer.Mode.{member}",
        f"sagemaker.modules.train.Mode.{member}",
    }
