"""The form file: the default questionnaire, the schema, and errors named by file and line."""

from __future__ import annotations

import textwrap
from importlib import resources
from pathlib import Path

import pytest

from definitions import words
from definitions.forms import (
    DEFAULT_CEILINGS,
    Condition,
    Form,
    FormError,
    QuestionType,
    Rule,
    load_form,
    parse_form,
)
from tests.factories import ALL_TYPES_FORM_YAML, all_types_form

SECTION_CODES = [
    "directives",
    "content",
    "broadcasts",
    "posts",
    "visual",
    "meetings",
    "other_forms",
    "assessment",
]


@pytest.fixture(scope="module")
def form() -> Form:
    return load_form()


# ----- the default form ---------------------------------------------------------------------


def test_default_form_loads(form: Form) -> None:
    assert form.form == "cchc_publicity"
    assert form.version
    assert "cải cách hành chính" in form.title
    assert [section.code for section in form.sections] == SECTION_CODES
    codes = [q.code for section in form.sections for q in section.questions]
    assert len(codes) == len(set(codes)) == len(form.questions)
    for section in form.sections:
        assert section.title
        assert section.answered_by == ("officer",)
        for question in section.questions:
            assert question.label.strip()
            assert question.short, f"{question.code} has no short name for reviews"
            assert form.section_of[question.code] is section


def test_default_form_from_a_file_is_the_same(form: Form, tmp_path: Path) -> None:
    text = (resources.files("report_kinds") / "cchc" / "form.yaml").read_text(encoding="utf-8")
    copy = tmp_path / "form.yaml"
    copy.write_text(text, encoding="utf-8")
    assert load_form(copy) == form


def test_default_form_direction_documents(form: Form) -> None:
    directives = form.section("directives")
    assert "chỉ đạo" in directives.title
    for code in ("plan_refs", "higher_docs"):  # several documents each, none required
        question = form.questions[code]
        assert question.type is QuestionType.DOCUMENT_REFS
        assert not question.required and question.carry_over
        assert question.combined_by == "union"
    directed = form.questions["directed_to"]
    assert directed.type is QuestionType.MULTI_CHOICE and not directed.required
    other = form.questions["other_directives"]
    assert other.type is QuestionType.COUNT
    assert form.section_of["other_directives"] is directives


def test_default_form_asks_what_was_publicized(form: Form) -> None:
    content = form.section("content")
    topics = form.questions["content_topics"]
    assert topics.type is QuestionType.MULTI_CHOICE and form.section_of[topics.code] is content
    values = {choice.value for choice in topics.choices}
    assert {"par_index", "sipas", "papi", "pci", "digital", "discipline"} <= values
    assert form.questions["content_docs"].type is QuestionType.DOCUMENT_REFS
    assert not form.questions["content_other"].required


def test_every_form_of_publicity_can_be_done_without_a_figure(form: Form) -> None:
    uncounted = {code for code, q in form.questions.items() if q.uncounted}
    assert {
        "radio_items",
        "web_posts",
        "banners",
        "slogans",
        "meetings_integrated",
        "mobile_sessions",
        "citizens_guided",
        "contests",
    } <= uncounted
    # Measures of a form (airings, minutes, attendance) are figures or nothing.
    assert not uncounted & {"radio_airings", "radio_minutes", "meeting_attendance"}
    assert all(form.questions[code].type is QuestionType.COUNT for code in uncounted)


def test_default_form_broadcasts_skip_without_a_station(form: Form) -> None:
    broadcasts = form.section("broadcasts")
    station, *rest = broadcasts.questions
    assert station.code == "radio_station"
    assert station.type is QuestionType.CHOICE
    values = [choice.value for choice in station.choices]
    assert "none" in values and "active" in values
    assert {q.code for q in rest} >= {
        "radio_programs",
        "radio_items",
        "radio_airings",
        "radio_minutes",
    }
    for question in rest:
        assert question.relevant is not None, question.code
        assert question.relevant.answer == "radio_station"
        assert question.relevant.holds("active")
        assert not question.relevant.holds("none")
        assert not question.relevant.holds("broken")
    assert form.questions["radio_minutes"].type is QuestionType.MINUTES
    (rule,) = form.questions["radio_minutes"].rules
    assert rule.needs_positive == "radio_airings"
    assert rule.broken_by(60, 0)
    assert not rule.broken_by(60, 3)
    assert not rule.broken_by(0, 0)


def test_default_form_posts_digital_not_more_than_all(form: Form) -> None:
    posts = form.section("posts")
    assert [q.code for q in posts.questions][:2] == ["web_posts", "web_posts_digital"]
    (rule,) = form.questions["web_posts_digital"].rules
    assert rule.not_more_than == "web_posts"
    assert rule.message.startswith("Số tin, bài về chuyển đổi số")
    assert rule.broken_by(6, 5)
    assert not rule.broken_by(5, 5)
    assert not rule.broken_by(5, None)  # nothing to compare until both are answered
    involved = [(q.code, r.other) for q, r in form.rules_involving("web_posts")]
    assert involved == [("web_posts_digital", "web_posts")]
    assert [(q.code, r.other) for q, r in form.rules_involving("web_posts_digital")] == involved
    assert list(form.rules_involving("banners")) == []


def test_default_form_visual_includes_percent_of_procedures_posted(form: Form) -> None:
    visual = form.section("visual")
    codes = [q.code for q in visual.questions]
    assert {"banners", "slogans", "panels", "leaflets", "tthc_posted_percent"} <= set(codes)
    percent = form.questions["tthc_posted_percent"]
    assert percent.type is QuestionType.PERCENT
    assert percent.ceiling == 100
    assert form.section_of["tthc_posted_percent"] is visual


def test_default_form_meetings_and_other_forms(form: Form) -> None:
    meetings = {q.code for q in form.section("meetings").questions}
    assert {"meetings_integrated", "meetings_cchc", "dialogues"} <= meetings
    other = form.section("other_forms")
    other_codes = {q.code for q in other.questions}
    assert {"mobile_sessions", "citizens_guided", "contests", "trainings"} <= other_codes
    participants = form.questions["contest_participants"]
    assert participants.relevant is not None
    assert participants.relevant.greater_than == 0
    assert participants.relevant.holds(1) and not participants.relevant.holds(0)
    assert not form.questions["other_forms_text"].required


def test_default_form_narrative(form: Form) -> None:
    assessment = form.section("assessment")
    codes = [q.code for q in assessment.questions]
    assert codes == ["strengths", "limitations", "causes", "directions", "proposals"]
    for question in assessment.questions:
        assert question.type is QuestionType.LONG_TEXT
        assert question.suggestions, question.code
    required = {q.code for q in assessment.questions if q.required}
    assert required == {"strengths", "limitations", "directions"}


def test_default_form_ceilings(form: Form) -> None:
    for question in form.questions.values():
        if question.type.is_number:
            assert question.ceiling is not None and question.ceiling > 0, question.code
        else:
            assert question.ceiling is None, question.code
    assert form.questions["web_posts"].ceiling == 2000
    assert form.questions["radio_minutes"].ceiling == 20000


# ----- the schema ---------------------------------------------------------------------------


def test_every_question_type_is_accepted() -> None:
    form = all_types_form()
    assert {q.type for q in form.questions.values()} == set(QuestionType)
    assert form.questions["q_choice"].choices[1].value == "fair"
    assert form.questions["q_long"].suggestions
    assert form.questions["q_doc"].carry_over
    assert not form.questions["q_short"].required


@pytest.mark.parametrize("kind", list(QuestionType))
def test_each_question_type_alone(kind: QuestionType) -> None:
    extra = ""
    if kind.has_choices:
        extra = "\n        choices: [{value: a, label: A}, {value: b, label: B}]"
    text = f"""\
form: one
version: "1"
title: Một câu
sections:
  - code: only
    title: Duy nhất
    questions:
      - code: the_question
        type: {kind.value}
        label: Câu hỏi?{extra}
"""
    form = parse_form(text, name="one.yaml")
    question = form.questions["the_question"]
    assert question.type is kind
    assert question.title == "Câu hỏi?"  # no short name: the label is the title
    assert question.required and question.history_check and not question.carry_over
    assert question.ceiling == (100 if kind is QuestionType.PERCENT else DEFAULT_CEILINGS.get(kind))


def test_condition_and_rule_semantics() -> None:
    assert Condition(answer="a", equals="x").holds("x")
    assert not Condition(answer="a", equals="x").holds("y")
    assert Condition(answer="a", not_equals="").holds("text")
    assert not Condition(answer="a", not_equals="").holds("")
    assert Condition(answer="a", greater_than=0).holds(1)
    assert not Condition(answer="a", greater_than=0).holds(0)
    assert not Condition(answer="a", greater_than=0).holds("5")  # text is not a number
    for condition in (
        Condition(answer="a", equals="x"),
        Condition(answer="a", not_equals="x"),
        Condition(answer="a", greater_than=0),
    ):
        assert not condition.holds(None)  # unanswered or skipped: never relevant
    with pytest.raises(ValueError, match="exactly one"):
        Condition(answer="a")
    with pytest.raises(ValueError, match="exactly one"):
        Condition(answer="a", equals=1, greater_than=0)
    with pytest.raises(ValueError, match="exactly one"):
        Rule(message="m")
    with pytest.raises(ValueError, match="exactly one"):
        Rule(not_more_than="a", needs_positive="b", message="m")
    assert not Rule(not_more_than="a", message="m").broken_by("6", 5)


# ----- the checks an answer goes through (the chat's and `baocao draft`'s) ------------------

CHECKED = """\
form: checked
version: "1"
title: Thử
sections:
  - code: radio
    title: Truyền thanh
    questions:
      - code: station
        type: yes_no
        label: Có đài?
      - code: airings
        type: count
        label: Lượt phát?
        max: 50
        relevant: {answer: station, equals: true}
      - code: minutes
        type: minutes
        label: Thời lượng?
        relevant: {answer: airings, greater_than: 0}
      - code: relays
        type: count
        label: Lượt tiếp sóng?
        relevant: {answer: station, equals: true}
        rules:
          - {needs_positive: airings, message: Có tiếp sóng thì phải có lượt phát.}
      - code: note
        type: short_text
        label: Ghi chú?
        required: false
  - code: posts
    title: Tin bài
    questions:
      - code: posts_all
        type: count
        label: Tổng số tin?
      - code: posts_digital
        type: count
        label: Tin về chuyển đổi số?
        rules:
          - {not_more_than: posts_all, message: Tin chuyển đổi số không thể nhiều hơn tổng số.}
"""


@pytest.fixture(scope="module")
def checked() -> Form:
    return parse_form(CHECKED, name="checked.yaml")


def test_relevance_follows_the_chain_of_conditions(checked: Form) -> None:
    minutes, airings = checked.questions["minutes"], checked.questions["airings"]
    assert checked.is_relevant(minutes, {"station": True, "airings": 3})
    assert not checked.is_relevant(minutes, {"station": True, "airings": 0})
    # airings was given, but without a station it is not asked, so neither is minutes.
    assert not checked.is_relevant(minutes, {"station": False, "airings": 3})
    assert not checked.is_relevant(airings, {})  # the condition's answer is not given yet
    assert checked.is_relevant(checked.questions["note"], {})


def test_a_value_within_every_check_has_no_problem(checked: Form) -> None:
    answers = {"station": True, "airings": 3, "minutes": 60, "posts_all": 5}
    assert checked.problem_with("minutes", 60, answers) is None
    assert checked.problem_with("posts_digital", 5, answers) is None
    assert checked.problem_with("note", None, answers) is None  # optional: may be skipped


def test_a_skipped_required_answer_is_a_problem(checked: Form) -> None:
    assert checked.problem_with("posts_all", None, {}) == words.REQUIRED


def test_a_number_over_its_ceiling_is_a_problem(checked: Form) -> None:
    problem = checked.problem_with("airings", 51, {"station": True})
    assert problem == words.too_large(value=51, ceiling=50, unit="")
    assert checked.problem_with("airings", 50, {"station": True}) is None


def test_a_broken_rule_is_a_problem_from_either_side(checked: Form) -> None:
    too_many = "Tin chuyển đổi số không thể nhiều hơn tổng số."
    assert checked.problem_with("posts_digital", 6, {"posts_all": 5}) == too_many
    assert checked.problem_with("posts_all", 4, {"posts_digital": 5}) == too_many
    assert checked.problem_with("posts_all", 5, {"posts_digital": 5}) is None
    no_airings = "Có tiếp sóng thì phải có lượt phát."
    assert checked.problem_with("relays", 2, {"station": True, "airings": 0}) == no_airings
    assert checked.problem_with("airings", 0, {"station": True, "relays": 2}) == no_airings
    # Without a station the rule's question is not asked, so its rule holds nothing back.
    assert checked.problem_with("airings", 0, {"station": False, "relays": 2}) is None
    assert checked.problem_with("posts_all", 5, {}) is None, "nothing to compare yet"


# ----- bad forms: FormError names the file and the line -------------------------------------

BASE = """\
form: test_form
version: "1"
title: Thử
sections:
  - code: first
    title: Phần một
    questions:
      - code: a_count
        type: count
        label: Bao nhiêu?
{more}"""


def with_questions(more: str) -> str:
    """The base form with more question lines (indented as list items of `questions`)."""
    return BASE.format(more=textwrap.indent(textwrap.dedent(more), " " * 6))


def line_of(text: str, marker: str, occurrence: int = 1) -> int:
    """The 1-based line number of the n-th line containing `marker`."""
    found = [number for number, line in enumerate(text.splitlines(), 1) if marker in line]
    return found[occurrence - 1]


def form_error(text: str, name: str = "bad.yaml") -> str:
    with pytest.raises(FormError) as caught:
        parse_form(text, name=name)
    return str(caught.value)


def test_base_form_is_valid() -> None:
    form = parse_form(with_questions(""), name="good.yaml")
    assert list(form.questions) == ["a_count"]


BAD_QUESTIONS = {
    "unknown type": (
        """\
        - code: b_slider
          type: slider
          label: Kéo?
        """,
        "type: slider",
        "sections.0.questions.1.type: Input should be 'count'",
    ),
    "missing label": (
        """\
        - code: b_count
          type: count
        """,
        "code: b_count",
        "sections.0.questions.1.label: Field required",
    ),
    "duplicate question code": (
        """\
        - code: a_count
          type: minutes
          label: Lại?
        """,
        "code: a_count",
        "question code 'a_count' repeats",
    ),
    "relevant refers to a later question": (
        """\
        - code: b_count
          type: count
          label: B?
          relevant: {answer: c_count, greater_than: 0}
        - code: c_count
          type: count
          label: C?
        """,
        "relevant:",
        "relevant refers to 'c_count', which is not a question asked before this one",
    ),
    "relevant refers to an unknown question": (
        """\
        - code: b_count
          type: count
          label: B?
          relevant:
            answer: nowhere
            equals: 1
        """,
        "answer: nowhere",
        "relevant refers to 'nowhere'",
    ),
    "relevant refers to itself": (
        """\
        - code: b_count
          type: count
          label: B?
          relevant: {answer: b_count, greater_than: 0}
        """,
        "relevant:",
        "relevant refers to 'b_count'",
    ),
    "rule refers to a non-number": (
        """\
        - code: b_text
          type: short_text
          label: B?
        - code: c_count
          type: count
          label: C?
          rules:
            - not_more_than: b_text
              message: Không hợp lệ.
        """,
        "- not_more_than: b_text",
        "rule refers to 'b_text', which is not another number question",
    ),
    "rule refers to an unknown question": (
        """\
        - code: b_count
          type: count
          label: B?
          rules:
            - needs_positive: nowhere
              message: Không hợp lệ.
        """,
        "- needs_positive: nowhere",
        "rule refers to 'nowhere'",
    ),
    "rule refers to itself": (
        """\
        - code: b_count
          type: count
          label: B?
          rules:
            - {not_more_than: b_count, message: Không hợp lệ.}
        """,
        "- {not_more_than: b_count",
        "rule refers to 'b_count'",
    ),
    "rule on a text question": (
        """\
        - code: b_text
          type: short_text
          label: B?
          rules:
            - {not_more_than: a_count, message: Không hợp lệ.}
        """,
        "code: b_text",
        "rules compare numbers; this question is not a number",
    ),
    "choice question with one choice": (
        """\
        - code: b_choice
          type: choice
          label: Chọn?
          choices:
            - {value: only, label: Duy nhất}
        """,
        "code: b_choice",
        "a choice question needs at least two choices",
    ),
    "choices on a count": (
        """\
        - code: b_count
          type: count
          label: B?
          choices: [{value: x, label: X}, {value: y, label: Y}]
        """,
        "code: b_count",
        "only choice questions have choices",
    ),
    "max on a text": (
        """\
        - code: b_text
          type: short_text
          label: B?
          max: 5
        """,
        "code: b_text",
        "max applies to numbers only",
    ),
    "suggestions on a count": (
        """\
        - code: b_count
          type: count
          label: B?
          suggestions: [Một, Hai]
        """,
        "code: b_count",
        "suggestions are for long_text questions",
    ),
    "extra unknown key": (
        """\
        - code: b_count
          type: count
          label: B?
          colour: red
        """,
        "colour: red",
        "sections.0.questions.1.colour: Extra inputs are not permitted",
    ),
    "code with capitals and a dash": (
        """\
        - code: Web-Posts
          type: count
          label: B?
        """,
        "code: Web-Posts",
        "sections.0.questions.1.code: String should match pattern",
    ),
    "relevant with two tests": (
        """\
        - code: b_count
          type: count
          label: B?
          relevant: {answer: a_count, equals: 1, greater_than: 0}
        """,
        "relevant:",
        "give exactly one of equals, not_equals, greater_than",
    ),
    "empty label": (
        """\
        - code: b_count
          type: count
          label: ""
        """,
        'label: ""',
        "sections.0.questions.1.label: String should have at least 1 character",
    ),
}


@pytest.mark.parametrize(("more", "marker", "message"), BAD_QUESTIONS.values(), ids=BAD_QUESTIONS)
def test_bad_question_names_file_and_line(more: str, marker: str, message: str) -> None:
    text = with_questions(more)
    occurrence = 2 if marker == "code: a_count" else 1
    line = line_of(text, marker, occurrence)
    error = form_error(text)
    first = error.splitlines()[0]
    assert first.startswith(f"bad.yaml:{line}: "), error
    assert message in first, error


def test_load_form_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "my_form.yaml"
    text = with_questions(
        """\
        - code: b_count
          type: sliders
          label: B?
        """
    )
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FormError) as caught:
        load_form(path)
    assert str(caught.value).startswith(f"{path}:{line_of(text, 'type: sliders')}: ")


def test_load_form_unreadable_file(tmp_path: Path) -> None:
    missing = tmp_path / "absent.yaml"
    with pytest.raises(FormError, match="cannot read the form file") as caught:
        load_form(missing)
    assert str(caught.value).startswith(f"{missing}: ")
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("title: Th\xea\n".encode("latin-1"))
    with pytest.raises(FormError, match="cannot read the form file"):
        load_form(latin)


def test_every_problem_is_listed_with_its_own_line() -> None:
    text = with_questions(
        """\
        - code: b_count
          type: slider
          label: B?
        - code: c_count
          type: count
        """
    )
    error = form_error(text)
    assert f"bad.yaml:{line_of(text, 'type: slider')}: sections.0.questions.1.type" in error
    assert f"bad.yaml:{line_of(text, 'code: c_count')}: sections.0.questions.2.label" in error


def test_one_bad_question_is_one_problem() -> None:
    # pydantic also calls the tuple holding a bad item "too short"; that echo names no fault.
    text = with_questions(
        """\
        - code: b_count
          type: slider
          label: B?
        """
    )
    error = form_error(text)
    assert "at least 1 item" not in error, error
    assert len(error.splitlines()) == 1, error


def test_duplicate_section_code() -> None:
    text = BASE.format(
        more="""\
  - code: first
    title: Phần hai
    questions:
      - {code: b_count, type: count, label: Câu B}
"""
    )
    error = form_error(text)
    assert error.startswith(f"bad.yaml:{line_of(text, '- code: first', 2)}: sections.1.code: ")
    assert "section code 'first' repeats" in error


def test_section_without_questions() -> None:
    text = BASE.format(more="  - code: second\n    title: Phần hai\n    questions: []\n")
    error = form_error(text)
    assert error.startswith(f"bad.yaml:{line_of(text, 'questions: []')}: sections.1.questions: ")


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        # A tab cannot indent YAML.
        ('form: t\nversion: "1"\ntitle: T\nsections:\n  - code: s\n\ttitle: S\n', 6, "'\\t'"),
        # `questions` one space short of its section's indentation.
        (
            'form: t\nversion: "1"\ntitle: T\nsections:\n  - code: s\n    title: S\n'
            "   questions: []\n",
            7,
            "expected <block end>",
        ),
        # An unclosed flow mapping.
        ('form: t\nversion: "1"\ntitle: {T\n', 4, "not valid YAML"),
        # A key without a value separator in a mapping.
        ('form: t\nversion: "1"\ntitle T\nsections: []\n', 4, "not valid YAML"),
    ],
    ids=["tab", "indentation", "unclosed-brace", "missing-colon"],
)
def test_invalid_yaml(text: str, line: int, message: str) -> None:
    error = form_error(text)
    assert error.startswith(f"bad.yaml:{line}: not valid YAML"), error
    assert message in error


@pytest.mark.parametrize(
    "text",
    ["", "# only a comment\n", "- form: t\n- version: 1\n", "just some words\n", "42\n", "null\n"],
    ids=["empty", "comment", "list", "scalar", "number", "null"],
)
def test_top_level_must_be_a_mapping(text: str) -> None:
    error = form_error(text, name="top.yaml")
    assert error == "top.yaml:1: a form is a mapping with form, version, title and sections"


@pytest.mark.parametrize(
    ("text", "marker", "message"),
    [
        ('form: t\nversion: "1"\ntitle: T\n', None, "sections: Field required"),
        ('form: t\nversion: "1"\ntitle: T\nsections: []\n', "sections: []", "at least 1 item"),
        (
            'form: t\nversion: "1"\ntitle: T\nowner: me\nsections: []\n',
            "owner: me",
            "owner: Extra inputs are not permitted",
        ),
        (
            'form: t\nversion: "1 0"\ntitle: T\nsections: []\n',
            'version: "1 0"',
            "version: String should match pattern",
        ),
        ('form: Bad Name\nversion: "1"\ntitle: T\nsections: []\n', "form: Bad", "form: String"),
    ],
    ids=["no-sections", "empty-sections", "extra-top-key", "bad-version", "bad-form-code"],
)
def test_bad_top_level(text: str, marker: str | None, message: str) -> None:
    error = form_error(text)
    line = 1 if marker is None else line_of(text, marker)
    assert any(
        part.startswith(f"bad.yaml:{line}: ") and message in part for part in error.splitlines()
    ), error


def test_duplicate_key_is_refused() -> None:
    # YAML itself keeps the last of two equal keys without a word; a form must not.
    text = with_questions(
        """\
        - code: b_count
          type: count
          label: Câu hỏi cũ?
          label: Câu hỏi mới?
        """
    )
    error = form_error(text)
    assert error.startswith(f"bad.yaml:{line_of(text, 'label: Câu hỏi mới?')}: not valid YAML")
    assert "'label' appears twice" in error
    top = 'form: t\nversion: "1"\ntitle: T\ntitle: T2\nsections: []\n'
    assert form_error(top).startswith("bad.yaml:4: not valid YAML")


def test_all_types_yaml_round_trips_through_a_file(tmp_path: Path) -> None:
    path = tmp_path / "all.yaml"
    path.write_text(ALL_TYPES_FORM_YAML, encoding="utf-8")
    assert load_form(path) == all_types_form()


def test_across_communes_is_for_number_questions_only() -> None:
    text = with_questions(
        """\
        - code: b_text
          type: long_text
          label: Vì sao?
          across_communes: sum
        """
    )

    message = form_error(text)

    assert f"bad.yaml:{line_of(text, 'code: b_text')}:" in message
    assert "across_communes applies to questions answered with a number" in message
