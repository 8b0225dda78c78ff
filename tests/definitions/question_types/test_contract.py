"""The contract every registered question type keeps, checked over the whole registry: a new
type passes these without a line added here.

Each type reads back what it shows, its buttons stand for answers it reads, it writes a cell a
spreadsheet takes, combining one quarter gives that quarter's answer, and a form file gets a
question of the type accepted when it is minimal and refused, at its line and with a message
naming the types that could, when it asks for what the type cannot do.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
import yaml
from openpyxl import Workbook

from definitions.forms import Form, FormError, Question, QuestionType, parse_form
from definitions.parsing import ParseError
from definitions.question_types import REGISTRY, AnswerType
from definitions.question_types.base import SHORT_DISPLAY, counted
from definitions.values import display, editable, parse_answer

TYPES = pytest.mark.parametrize("answer_type", REGISTRY.values(), ids=list(REGISTRY))
CODE = "the_question"
FILE = "contract.yaml"


def form_text(answer_type: AnswerType, fields: Mapping[str, Any]) -> str:
    question = {"code": CODE, "type": answer_type.name, "label": "Câu hỏi?", **fields}
    form = {
        "form": "contract",
        "version": "1",
        "title": "Một câu",
        "sections": [{"code": "only", "title": "Duy nhất", "questions": [question]}],
    }
    return yaml.safe_dump(form, allow_unicode=True, sort_keys=False)


def form_of(answer_type: AnswerType, **more: Any) -> Form:
    return parse_form(form_text(answer_type, {**answer_type.example_fields, **more}), name=FILE)


def question_of(answer_type: AnswerType, **more: Any) -> Question:
    return form_of(answer_type, **more).questions[CODE]


def examples(answer_type: AnswerType) -> Iterator[tuple[Question, Any]]:
    question = question_of(answer_type)
    assert answer_type.example_values, f"{answer_type.name} gives no example values"
    for value in answer_type.example_values:
        yield question, value


# ----- the registry --------------------------------------------------------------------------


def test_the_registry_is_the_list_of_yaml_types() -> None:
    assert [str(kind) for kind in QuestionType] == list(REGISTRY)
    for name, answer_type in REGISTRY.items():
        assert answer_type.name == name
        assert QuestionType(name).answer_type is answer_type
        # One module per type, named after it, so the package reads as the list of types.
        assert type(answer_type).__module__ == f"definitions.question_types.{name}"


@TYPES
def test_a_minimal_question_is_accepted(answer_type: AnswerType) -> None:
    question = question_of(answer_type)
    assert question.type is QuestionType(answer_type.name)
    assert question.answer_type is answer_type
    assert question.combined_by == answer_type.default_combine
    assert answer_type.default_combine in answer_type.combines
    assert "last" in answer_type.combines  # any answer can be carried from the latest quarter
    if answer_type.is_number:
        assert question.ceiling is not None and question.ceiling > 0
    else:
        assert question.ceiling is None
    if answer_type.is_amount:
        assert answer_type.is_number and "sum" in answer_type.combines


@TYPES
def test_the_hint_says_how_to_answer(answer_type: AnswerType) -> None:
    question = question_of(answer_type)
    assert answer_type.how_to_answer.strip()
    assert answer_type.hint(question).startswith(answer_type.how_to_answer)


# ----- reading and showing ---------------------------------------------------------------------


@TYPES
def test_what_is_shown_to_edit_reads_back_as_the_same_value(answer_type: AnswerType) -> None:
    for question, value in examples(answer_type):
        typed = editable(question, value)
        assert parse_answer(question, typed) == value, typed


@TYPES
def test_every_value_shows_and_shows_short(answer_type: AnswerType) -> None:
    for question, value in examples(answer_type):
        shown = display(question, value)
        assert isinstance(shown, str) and shown.strip()
        assert len(display(question, value, short=True)) <= max(SHORT_DISPLAY, len(shown))
    assert display(question_of(answer_type), None) == "(bỏ qua)"


@TYPES
def test_an_empty_answer_is_refused_in_vietnamese(answer_type: AnswerType) -> None:
    with pytest.raises(ParseError) as caught:
        parse_answer(question_of(answer_type), "   ")
    assert caught.value.message.strip()


# ----- asking -----------------------------------------------------------------------------------


@TYPES
def test_its_buttons_stand_for_answers_it_reads(answer_type: AnswerType) -> None:
    question = question_of(answer_type)
    rows = answer_type.buttons(question)
    actions = [action for row in rows for _, action in row]
    assert len(actions) == len(set(actions))
    for row in rows:
        for label, action in row:
            assert label.strip()
            value, known = answer_type.button_value(question, action)
            assert known, action
            assert parse_answer(question, editable(question, value)) == value
    for unknown in ("nonsense", "v:999", "v:x", "opt:0"):
        assert answer_type.button_value(question, unknown) == (None, False)


@TYPES
def test_its_prompt_lines_are_text(answer_type: AnswerType) -> None:
    assert all(isinstance(line, str) for line in answer_type.prompt_lines(question_of(answer_type)))


# ----- the compiled files ----------------------------------------------------------------------


@TYPES
def test_its_cells_are_values_a_spreadsheet_takes(answer_type: AnswerType) -> None:
    sheet = Workbook().active
    assert sheet is not None
    for question, value in examples(answer_type):
        cell = answer_type.cell_value(question, value)
        assert isinstance(cell, int | float | str | datetime.date) and not isinstance(cell, bool)
        if answer_type.is_number and counted(value) is not None:
            assert cell == value  # a figure stays a number, so the sheet can add it
        sheet.cell(row=1, column=1, value=cell)
    assert isinstance(answer_type.column_unit(question_of(answer_type)), str)


@TYPES
def test_only_figures_have_a_figure_format(answer_type: AnswerType) -> None:
    assert (answer_type.figure_format is not None) == answer_type.is_number
    assert (answer_type.tally == "figures") == answer_type.is_number
    assert (answer_type.tally == "choices") == answer_type.has_choices


# ----- combining quarters ---------------------------------------------------------------------


@TYPES
def test_combining_one_quarter_gives_its_value(answer_type: AnswerType) -> None:
    for combine in sorted(answer_type.combines):
        form = form_of(answer_type, combine=combine)
        question = form.questions[CODE]
        for value in answer_type.example_values:
            assert answer_type.combine(question, [value]) == value, combine
            expected = {} if answer_type.is_narrative else {CODE: value}
            assert form.combine([{CODE: value}]) == expected
        # Every quarter's example together still makes an answer the type can show.
        combined = answer_type.combine(question, list(answer_type.example_values))
        assert display(question, combined)


@TYPES
def test_first_and_last_take_the_earliest_and_the_latest_quarter(answer_type: AnswerType) -> None:
    """A stock open when the period began is its first quarter's, one open when it closed its
    last quarter's, whatever the type holds; quarters that skipped it give nothing."""
    values = list(answer_type.example_values)
    for combine, expected in (("first", values[0]), ("last", values[-1])):
        if combine not in answer_type.combines:
            continue
        form = form_of(answer_type, combine=combine)
        assert answer_type.combine(form.questions[CODE], values) == expected, combine
        if not answer_type.is_narrative:
            quarters = [{}, *({CODE: value} for value in values), {CODE: None}]
            assert form.combine(quarters) == {CODE: expected}, combine


# ----- the form file ----------------------------------------------------------------------------


def types_that(capability: str) -> list[str]:
    return [name for name, kind in REGISTRY.items() if getattr(kind, capability)]


def wrong_fields(answer_type: AnswerType) -> Iterator[tuple[dict[str, Any], str, list[str]]]:
    """Fields a question of the type cannot have, each with the words the refusal starts with
    and the types it must name as those that can."""
    two = [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}]
    if answer_type.has_choices:
        yield {"choices": two[:1]}, "a choice question needs at least two choices", []
    else:
        yield {"choices": two}, "only choice questions have choices", []
    if not answer_type.is_number:
        yield {"max": 5}, "max applies to numbers only", []
        rules = [{"not_more_than": "other", "message": "Không hợp lệ."}]
        yield {"rules": rules}, "rules compare numbers", []
    if not answer_type.allows_uncounted:
        yield {"uncounted": True}, "uncounted applies to", types_that("allows_uncounted")
    if not answer_type.takes_suggestions:
        yield {"suggestions": ["Một"]}, "suggestions are for", types_that("takes_suggestions")
    for combine in ("sum", "first", "best", "union"):
        if combine not in answer_type.combines:
            able = [name for name, kind in REGISTRY.items() if combine in kind.combines]
            words = "only" if combine == "sum" else f"combine: {combine} applies to"
            yield {"combine": combine}, words, able


@TYPES
def test_a_question_asking_what_its_type_cannot_do_is_refused(answer_type: AnswerType) -> None:
    refusals = list(wrong_fields(answer_type))
    assert refusals
    for fields, words, able in refusals:
        text = form_text(answer_type, {**answer_type.example_fields, **fields})
        line = next(n for n, t in enumerate(text.splitlines(), 1) if f"code: {CODE}" in t)
        with pytest.raises(FormError) as caught:
            parse_form(text, name=FILE)
        message = str(caught.value)
        assert message.startswith(f"{FILE}:{line}: sections.0.questions.0: {words}"), message
        assert len(message.splitlines()) == 1, message
        for name in able:
            assert name in message, (name, message)
