from __future__ import annotations
from smscan.sources.requests.found import ReadResult
MARKERS = (b"sagemaker",)
class SdkReader:
    def __init__(self, configs) -> None:
        self.configs = configs
    def read(self, file, text, notebook=False):
        return ReadResult()
    def summary_note(self):
        return ""
