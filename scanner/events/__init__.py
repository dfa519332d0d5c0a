"""Event mode: judge one training job from an EventBridge or CloudTrail event, then act on it."""
