"""A finding's message rendered for everything but the job's identity, finished per job.

A fleet's failures repeat: thousands of jobs fail a policy with the same evidence, and
their messages differ only where the template prints the job's name, ARN, account or
region. `MessageTemplate.bind` renders the rest once (messages.py); `finish` puts each
job's identity in and normalizes the whitespace as `MessageTemplate.render` does, so
the text is exactly what rendering that job's whole context gives.

Normalizing (every whitespace run one space, none at the ends) is most of finishing.
When the job's values are non-empty, printable and without a space (so no other
whitespace, and no NUL to form a marker), no run crosses them: the text around them is
normalized once, here, and finishing is a concatenation. Any other value takes the plain way.
"""

from __future__ import annotations

MAX_MESSAGE_LENGTH = 2000
# The job's identity in a message context (explain._template_context), and the markers
# standing for it while a template renders: control characters no template text holds.
IDENTITY_NAMES = ("job_name", "job_arn", "account_id", "region")
MARKS = {name: f"\x00{i}\x00" for i, name in enumerate(IDENTITY_NAMES)}
_NAME_OF_MARK = {mark: name for name, mark in MARKS.items()}


class BoundMessage:
    """A message rendered but for the job's identity (MessageTemplate.bind): shared by every
    job whose context is otherwise the same, finished with each job's own identity."""

    __slots__ = ("pieces", "marked", "names", "done", "_around", "_slots", "_one")

    def __init__(
        self,
        pieces: tuple[tuple[bool, str], ...] | None = None,
        marked: str | None = None,
        names: tuple[str, ...] = (),
        done: str | None = None,
    ) -> None:
        self.pieces = pieces  # (is text, text or identity name): a text-and-names template
        self.marked = marked  # Jinja's output with a marker for each of `names`
        self.names = names
        self.done = done  # the whole message already: the template failed or was refused
        # The normalized text around each identity value, and the names of the values.
        self._around: tuple[str, ...] | None = None
        self._slots: tuple[str, ...] = ()
        # The commonest template, one identity value: (text before, its name, text after).
        self._one: tuple[str, str, str] | None = None
        if done is None:
            split = _split(pieces, marked, names)
            if split is not None:
                self._around, self._slots = _normalized_around(*split)
                if len(self._slots) == 1:
                    self._one = (self._around[0], self._slots[0], self._around[1])

    @property
    def one_word(self) -> tuple[str, str, str] | None:
        """(text before, identity name, text after) of a message with one identity value:
        for a value that `is_word`, finish gives (before + value + after)[:MAX_MESSAGE_LENGTH]."""
        return self._one

    def finish(self, identity: dict[str, str]) -> str:
        """The message of the job whose identity (every IDENTITY_NAMES name, as text) is given."""
        one = self._one
        if one is not None:
            before, name, after = one
            value = identity[name]
            if value and value.isprintable() and " " not in value:  # a single word: see below
                return (before + value + after)[:MAX_MESSAGE_LENGTH]
        elif self.done is not None:
            return self.done
        around = self._around
        if around is not None:
            if not self._slots:
                return around[0][:MAX_MESSAGE_LENGTH]
            text = around[0]
            for name, after in zip(self._slots, around[1:], strict=True):
                value = identity[name]
                # Printable (so no NUL, and no whitespace but the ASCII space) and no space: a
                # single word. Anything else, an empty value too, is normalized as a whole below.
                if not (value and value.isprintable() and " " not in value):
                    break
                text += value + after
            else:
                return text[:MAX_MESSAGE_LENGTH]
        if self.pieces is not None:
            text = "".join(p if literal else identity[p] for literal, p in self.pieces)
        else:
            text = self.marked or ""
            for name in self.names:  # in render's order: a name may hold another's marker
                text = text.replace(MARKS[name], identity[name])
        return " ".join(text.split())[:MAX_MESSAGE_LENGTH]


def is_word(value: str) -> bool:
    """Non-empty, printable and without a space: a value no whitespace run crosses (finish)."""
    return bool(value) and value.isprintable() and " " not in value


def _split(
    pieces: tuple[tuple[bool, str], ...] | None, marked: str | None, names: tuple[str, ...]
) -> tuple[list[str], list[str]] | None:
    """The text between identity values (one more than there are values) and their names;
    None when the marked text holds a NUL that is not one of its markers."""
    texts, slots = [""], []
    if pieces is not None:
        for literal, piece in pieces:
            if literal:
                texts[-1] += piece
            else:
                slots.append(piece)
                texts.append("")
        return texts, slots
    text = marked or ""
    marks = [MARKS[name] for name in names]
    while True:
        found = [(text.find(mark), mark) for mark in marks if mark in text]
        if not found:
            break
        at, mark = min(found)
        texts[-1] += text[:at]
        slots.append(_NAME_OF_MARK[mark])
        texts.append("")
        text = text[at + len(mark) :]
    texts[-1] += text
    if any("\x00" in t for t in texts):
        return None  # sequential replacing could make a marker of it: the plain way decides
    return texts, slots


def _normalized_around(texts: list[str], slots: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """`texts` with every whitespace run made one space, the ends stripped: what normalizing
    the whole message does to them when the values between are single words."""
    if not slots:
        return (" ".join(texts[0].split()),), ()
    out = [_collapsed(t) for t in texts]
    out[0] = out[0].lstrip(" ")
    out[-1] = out[-1].rstrip(" ")
    return tuple(out), tuple(slots)


def _collapsed(text: str) -> str:
    """Each whitespace run of `text` as one space, kept at the ends (str.split's whitespace)."""
    if not text:
        return ""
    if not text.split():
        return " "
    lead = " " if text[0].isspace() else ""
    tail = " " if text[-1].isspace() else ""
    return lead + " ".join(text.split()) + tail
