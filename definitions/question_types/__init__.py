"""Question types: what a form file's `type:` means, one module per type.

Each type (an `AnswerType`, see base.py) says how an answer is parsed from what an officer
types, shown back in chat, asked (its buttons and hint), checked in a form file, written in a
spreadsheet cell and combined across quarters. The form (definitions.forms), the engine, the
chat's values and the office's compiled files ask a question's type; none of them names one.

The package sits in `definitions`, below both the conversations and the report templates:
every type reads answers with definitions.parsing, and its few words are definitions.words.

To add a type:

1. Write one module here, named after its YAML name, with an `AnswerType` subclass: set
   `name` (the YAML `type:`), `how_to_answer` (Vietnamese, shown under the question),
   `example_values` (stored values the contract test round-trips; `example_fields` if a
   minimal question needs more than code, type and label) and the capabilities that apply
   (`is_number`, `is_amount`, `combines`, `tally`...); override `parse` (reusing a parser from
   definitions.parsing) and whatever else differs from the defaults.
2. Register an instance in `REGISTRY` below. `QuestionType`, the values a form file's `type:`
   may take, is built from it.

The compiled files total a type by its `tally` and word its figures by its `figure_format`; a
type that needs a way of its own there (money, say) adds it in report_templates/compiled.py.

tests/definitions/question_types/test_contract.py then runs every check over the new type,
and a form file may use it. (tests/factories.py's all-types form names every type once, and a
test holds it to the registry, so give it a question of the new type too.)
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from definitions.question_types.base import (
    DONE_UNCOUNTED,
    AnswerType,
    counted,
    is_done,
)
from definitions.question_types.choice import Choice
from definitions.question_types.count import Count
from definitions.question_types.date import Date
from definitions.question_types.document_ref import DocumentRef
from definitions.question_types.document_refs import DocumentRefs
from definitions.question_types.long_text import LongText
from definitions.question_types.minutes import Minutes
from definitions.question_types.multi_choice import MultiChoice
from definitions.question_types.percent import Percent
from definitions.question_types.short_text import ShortText
from definitions.question_types.yes_no import YesNo

__all__ = ["DONE_UNCOUNTED", "REGISTRY", "AnswerType", "QuestionType", "counted", "is_done"]

# In this order a form file's error lists the types it may use.
REGISTRY: dict[str, AnswerType] = {
    kind.name: kind
    for kind in (
        Count(),
        Minutes(),
        Percent(),
        YesNo(),
        Choice(),
        ShortText(),
        LongText(),
        Date(),
        DocumentRef(),
        MultiChoice(),
        DocumentRefs(),
    )
}


class _TypeName(enum.StrEnum):
    """A registered type's YAML name, which is what a question stores as its `type`."""

    @property
    def answer_type(self) -> AnswerType:
        return REGISTRY[self.value]

    @property
    def is_number(self) -> bool:
        return self.answer_type.is_number

    @property
    def has_choices(self) -> bool:
        return self.answer_type.has_choices


# An enum rather than a plain string so a form file naming no registered type is refused with
# the list of those that are; built from the registry so that a new type is one module.
# Type checkers see the member-less base, as nothing names a member in code.
if TYPE_CHECKING:
    QuestionType = _TypeName
else:
    QuestionType = _TypeName(
        "QuestionType",
        [(name.upper(), name) for name in REGISTRY],
        module=__name__,
        qualname="QuestionType",
    )
