"""A JSON-only `--jobs` worker's findings made straight into their rows, with no Finding.

When the JSON report is the only reader of every finding and no waiver can change one, a
worker keeps of each finding only its row: the sort key and the JSON text (RunWriter
without flats; smscan.parallel decides). Most findings of a fleet are served by the
evidence memo (smscan.explain_memo): the evidence and the message of a job that looked
alike to the policy, but for the job's identity. For those the row needs no Finding: the
text is a frame kept per (policy, memo key), the JSON around the message's identity value
and around the resource (both written by FindingTexts), filled with the job's escaped
value and its resource's text; the key is the policy's part, the job's and the sequence
number; the tally is one count, folded into the writer's when the chunk is done.

A frame is made from the first finding of its key, which takes the plain path. A record
with any finding that no frame serves exactly (a memo miss, an ERROR, a key the memo
cannot make, an identity value that is not a single printable word, a value only the
whole encoder writes, a message cut at its length limit) takes the plain path whole:
Engine.judge, then RunWriter.add, as a worker with flats does. tests/test_text_rows.py
holds the rows and the tally to the plain path's.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import orjson

from smscan.engine import Engine, Judge
from smscan.explain_memo import EvidenceMemo
from smscan.finding_texts import json_string
from smscan.models import Finding, Record, Status
from smscan.policy.bound import MAX_MESSAGE_LENGTH, BoundMessage, is_word
from smscan.run_writer import STATUS_FIELD, RunWriter, key_field, key_head

_MAX_FRAMES = 4096  # frames kept per policy; past it they start over
_FAILED, _ERRORED = Status.FAIL, Status.ERROR
_FAIL_FIELD = STATUS_FIELD[Status.FAIL.value]
# Every status, the most usual verdicts of a fleet first: counting stops once all are counted
_BY_FREQUENCY = (Status.PASS, Status.FAIL, Status.NOT_APPLICABLE, Status.UNKNOWN, Status.ERROR, Status.WAIVED)
_LINES = (-(2**63), 2**64)  # the integers orjson writes (as str does); past them, the plain path
_dumps, JSONEncodeError = orjson.dumps, orjson.JSONEncodeError
# A FAIL's row but for the job: (key head, text to the identity value, its name, the
# longest value that leaves the message uncut, text from the value to the resource, text
# after the resource, the bit of its (policy id, severity) in the tally). Only a FAIL's
# message is bound.
Frame = tuple[str, str, str, int, str, str, int]


class TextRows:
    """Judges records into a texts-only RunWriter (one per worker process)."""

    def __init__(self, engine: Engine, writer: RunWriter) -> None:
        assert writer.texts_only and not engine.explain_passed
        self._engine = engine
        self._writer = writer
        self._rows = writer.rows
        # Per policy: its verdict, its memo, and its frames by memo key (None: a key whose
        # findings take the plain path).
        self._steps: tuple[tuple[Judge, EvidenceMemo, dict[Any, Frame | None]], ...] = tuple(
            (judge, memo, {}) for _, judge, memo in engine.compiled
        )
        self._statuses: list[Status] = []  # every verdict of the chunk, policy by policy
        # (account, region, the bits of its findings' (policy id, severity)) -> jobs: a key
        # of strings and an int hashes in C, where one holding the frames' Severity would
        # call Enum.__hash__ for each
        self._tally: dict[tuple[str, str, int], int] = {}
        self._facets: dict[tuple[str, Any], int] = {}  # (policy id, severity) -> its bit
        self._resource_frame = writer.texts.resource_frame  # kept per (account, region, status, file, pointer)
        self.start(0)

    def start(self, group: int) -> None:
        """Rows from here on are the chunk `group`'s."""
        self._group, self._key_tail = group, f"{_FAIL_FIELD}{group:010d}"

    def judge(self, record: Record, seq: int) -> int:
        """Judge `record`, add its findings from number `seq` on; the next number."""
        statuses = self._statuses
        mark = len(statuses)
        if record.unknown or record.key_lines:
            return self._plain(record, seq, mark)
        data = record.data
        cache: dict[str, list[Any]] = {}
        append = statuses.append
        found: list[Frame] = []
        for judge, memo, frames in self._steps:
            status, error = judge(data, cache)
            append(status)
            if status is _FAILED or status is _ERRORED:
                frame = frames.get(memo.key_of(data, status, error, cache))
                if frame is None:
                    return self._plain(record, seq, mark)
                found.append(frame)
        if not found:
            return seq
        # The job's identity and resource, as Resource.of, identity_of and
        # FindingTexts.resource_text make them.
        get = data.get
        arn, name, account, region = get("_key"), get("training_job_name"), get("account_id"), get("region")
        status_text, origin = get("training_job_status"), record.origin
        arn = arn if type(arn) is str else str(arn or "")
        name = name if type(name) is str else str(name or "")
        account = account if type(account) is str else str(account or "")
        region = region if type(region) is str else str(region or "")
        line = origin.line
        if type(line) is not int or not _LINES[0] <= line < _LINES[1]:  # past orjson's integers
            return self._plain(record, seq, mark)
        if not (status_text is None or type(status_text) is str):
            return self._plain(record, seq, mark)
        shared = (account, region, status_text, origin.source, origin.pointer)
        around = self._resource_frame(shared)
        if around is None:
            return self._plain(record, seq, mark)
        try:  # json_string of each, inline
            arn_text, name_text = _dumps(arn).decode(), _dumps(name).decode()
        except JSONEncodeError:  # a lone surrogate
            return self._plain(record, seq, mark)
        line_text = str(line)  # as orjson writes an integer of its range
        resource_text = f"{around[0]}{arn_text}{around[1]}{name_text}{around[2]}{line_text}{around[3]}"
        where = str(origin) if origin.pointer else f"{origin.source}:{line_text}"  # Origin.__str__
        if "\0" in arn or "\0" in where:
            job = f"{key_field(arn)}{key_field(where)}{self._key_tail}"
        else:  # key_field of each, which escapes nothing here
            job = f"{arn}\0\0{where}\0\0{self._key_tail}"
        rows = self._rows
        first, start, facets, name_word = len(rows), seq, 0, None
        for head, before, slot, room, after, tail, bit in found:
            if slot == "job_name" and name:  # the usual slot, as _word gives it
                if name_word is None:
                    name_word = name_text[1:-1] if is_word(name) else ""
                word, size = name_word, len(name)
            else:
                word, size = self._word(slot, arn, name, account, region, where)
            if not word or size > room:
                del rows[first:]
                return self._plain(record, start, mark)
            digits = str(seq + 10_000_000_000)[1:] if seq < 9_000_000_000 else f"{seq:010d}"
            rows.append((f"{head}{job}{digits}", "FAIL", f"{before}{word}{after}{resource_text}{tail}", None))
            seq += 1
            facets |= bit
        tally, count = self._tally, (account, region, facets)
        tally[count] = tally.get(count, 0) + 1
        return seq

    @staticmethod
    def _word(slot: str, arn: str, name: str, account: str, region: str, where: str) -> tuple[str, int]:
        """The job's identity value `slot` (as identity_of gives it) escaped as it sits in the
        message's JSON string if finishing puts it there unchanged (a single word:
        bound.is_word), else ""; and its length."""
        if slot == "job_name":
            value = name or arn or where
        else:
            value = {"job_arn": arn, "account_id": account, "region": region}[slot]
        return ((_inner(value) or "") if is_word(value) else ""), len(value)

    def take_counts(self) -> dict[str, Counter[Status]]:
        """The verdicts since the last call, per policy id; the tally of the findings added
        here goes into the writer's."""
        counts: dict[str, Counter[Status]] = {}
        statuses, every = self._statuses, len(self._steps)
        for i, policy in enumerate(self._engine.policies):
            # list.count compares in C, where a Counter of the statuses would hash each in
            # Python (Enum.__hash__) and one of their ids make an int of each
            column = statuses[i::every]
            left = len(column)
            if not left:
                continue
            counter = counts[policy.id] = Counter()
            for status in _BY_FREQUENCY:
                n = column.count(status)
                if n:
                    counter[status] = n
                    left -= n
                    if not left:
                        break
        statuses.clear()
        tally = self._writer.tally
        facets = [(bit, policy_id, severity) for (policy_id, severity), bit in self._facets.items()]
        for (account, region, bits), n in self._tally.items():
            for bit, policy_id, severity in facets:
                if bits & bit:
                    tally.count(policy_id, _FAILED, severity, account, region, n)
        self._tally.clear()
        return counts

    def _plain(self, record: Record, seq: int, mark: int) -> int:
        """The record judged and added the plain way; frames made for its findings' keys."""
        statuses = self._statuses
        del statuses[mark:]
        add, group = self._writer.add, self._group
        for (_, status, finding), (_, memo, frames) in zip(self._engine.judge(record), self._steps, strict=True):
            statuses.append(status)
            if finding is None:
                continue
            add(finding, group, seq)
            seq += 1
            if status is _FAILED and not record.unknown:
                self._learn(memo, frames, record, finding)
        return seq

    def _learn(self, memo: EvidenceMemo, frames: dict[Any, Frame | None], record: Record, finding: Finding) -> None:
        key = memo.key(record, _FAILED, "")  # a FAIL's verdict carries no error
        if key is None or key in frames:
            return
        shared = memo.get(key)
        frame = None
        if shared is not None and shared.evidence is finding.evidence and shared.message is not None:
            frame = self._frame(finding, shared.message)
        if len(frames) >= _MAX_FRAMES:
            frames.clear()
        frames[key] = frame

    def _frame(self, f: Finding, message: BoundMessage) -> Frame | None:
        """The frame of every finding of `f`'s memo key (a FAIL served by the memo: its
        evidence and bound message, no location, waiver or baseline), or None."""
        one = message.one_word
        if one is None or f.location is not None or f.waiver is not None or f.baseline is not None:
            return None
        text, exact = self._writer.texts.frame(f)
        before, name, after = one
        inner_before, inner_after = _inner(before), _inner(after)
        if text is None or not exact or inner_before is None or inner_after is None:
            return None
        head, middle, tail = text
        room = MAX_MESSAGE_LENGTH - len(before) - len(after)
        bit = self._facets.setdefault((f.policy_id, f.severity), 1 << len(self._facets))
        return key_head(f.severity, f.policy_id), f'{head}"{inner_before}', name, room, f'{inner_after}"{middle}', tail, bit


def _inner(text: str) -> str | None:
    """`text` escaped as in a JSON string, without the quotes (None: a lone surrogate)."""
    quoted = json_string(text)
    return None if quoted is None else quoted[1:-1]
