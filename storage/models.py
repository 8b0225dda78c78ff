"""Tables. The schema changes only through Alembic migrations in storage/migrations."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

import report_kinds

# Stable constraint names, so migrations behave the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utc_now() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Store aware datetimes as UTC; SQLite drops the offset, so put it back on the way out."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use datetime.now(UTC)")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class UnitKind(enum.StrEnum):
    PROVINCE = "province"  # tỉnh
    CITY = "city"  # thành phố trực thuộc trung ương (province level)
    DISTRICT = "district"  # huyện: abolished 1 July 2025, kept for older data
    COMMUNE = "commune"  # xã
    WARD = "ward"  # phường
    SPECIAL_ZONE = "special_zone"  # đặc khu
    TOWNSHIP = "township"  # thị trấn: abolished 1 July 2025, kept for older data
    OFFICE = "office"  # the office that receives reports (e.g. Sở Nội vụ)

    @property
    def is_commune_level(self) -> bool:
        return self in COMMUNE_LEVEL_KINDS


COMMUNE_LEVEL_KINDS = frozenset(
    {UnitKind.COMMUNE, UnitKind.WARD, UnitKind.SPECIAL_ZONE, UnitKind.TOWNSHIP}
)


class Role(enum.StrEnum):
    OFFICER = "officer"
    CHAIRMAN = "chairman"
    VICE_CHAIRMAN = "vice_chairman"
    CLERK = "clerk"
    OFFICE = "office"  # staff of the receiving office
    ADMIN = "admin"


class PeriodKind(enum.StrEnum):
    QUARTER = "quarter"
    HALF_YEAR = "half_year"
    YEAR = "year"


class RoundStatus(enum.StrEnum):
    OPEN = "open"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    APPROVED = "approved"
    DELIVERED = "delivered"
    CLOSED = "closed"


def _enum(kind: type[enum.StrEnum], name: str) -> Enum:
    # Stored as VARCHAR plus a CHECK constraint: portable, and a bad value cannot be written.
    return Enum(
        kind,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda members: [member.value for member in members],
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
    }


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class Unit(TimestampMixin, Base):
    """An administrative unit: province, (legacy) district, commune, or a receiving office."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[UnitKind] = mapped_column(_enum(UnitKind, "unit_kind"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    # For commune-level units: the office their reports go to.
    office_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    # For offices: the chat (private or group) that receives files; set when staff register.
    telegram_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    # For offices: the channel their files go to ("zalo": their `OfficeContact` there; None or
    # "telegram": `telegram_chat_id`).
    delivery_channel: Mapped[str | None] = mapped_column(String(16))
    # For communes: the "Nơi nhận" lines of their reports, as set (units.csv or /noinhan);
    # None prints the default (the receiving office, the committee's leaders, "Lưu: VT.").
    recipients: Mapped[list[str] | None] = mapped_column(JSON)

    parent: Mapped[Unit | None] = relationship(
        remote_side="Unit.id", foreign_keys=[parent_id], lazy="raise"
    )
    office: Mapped[Unit | None] = relationship(
        remote_side="Unit.id", foreign_keys=[office_id], lazy="raise"
    )


class Person(TimestampMixin, Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(200))  # chức danh, as printed in reports
    phone: Mapped[str | None] = mapped_column(String(32))
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    telegram_username: Mapped[str | None] = mapped_column(String(64))
    # When Telegram first answered 403 for them (they blocked the bot); shown to their chairman.
    blocked_bot_at: Mapped[datetime | None]
    # A digest of the command menu last set in their chat (bot/menus.py): a start-up sets the
    # menus of only those whose roles changed since.
    command_menu: Mapped[str | None] = mapped_column(String(32))
    # The channel the person wrote from last ("zalo"; None or "telegram": Telegram): messages
    # queued for them go there, once.
    last_channel: Mapped[str | None] = mapped_column(String(16))

    memberships: Mapped[list[Membership]] = relationship(back_populates="person", lazy="raise")


class Contact(TimestampMixin, Base):
    """Where a person is reached on a channel other than Telegram (Zalo today): the account
    they registered from. Which channel a message goes to is `Person.last_channel`."""

    __tablename__ = "contacts"
    __table_args__ = (
        UniqueConstraint("channel", "address"),
        UniqueConstraint("person_id", "channel"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(80))
    display_name: Mapped[str | None] = mapped_column(String(200))


class OfficeContact(TimestampMixin, Base):
    """Where an office receives its files on a channel other than Telegram: on Zalo, whose bots
    cannot join groups, the account of the staff member who registered there."""

    __tablename__ = "office_contacts"
    __table_args__ = (UniqueConstraint("unit_id", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(80))
    set_by_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )


class Membership(Base):
    """A person's role in a unit. One person may hold several."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("person_id", "unit_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    # A vice-chairman who signs the commune's reports (KT. CHỦ TỊCH): approves like the chairman.
    signs: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    person: Mapped[Person] = relationship(back_populates="memberships", lazy="raise")
    unit: Mapped[Unit] = relationship(lazy="raise")


class Invitation(Base):
    """A single-use registration code. Only its hash is stored, so a database leak reveals none."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    # When set, redeeming binds this imported person rather than creating one.
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))

    unit: Mapped[Unit] = relationship(lazy="raise")


class ReportingPeriod(Base):
    """A reporting period such as 2026-Q4, with its window of figures (Decree 09/2019, Art. 12)."""

    __tablename__ = "reporting_periods"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    kind: Mapped[PeriodKind] = mapped_column(_enum(PeriodKind, "period_kind"))
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    starts_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)
    deadline_on: Mapped[date | None] = mapped_column(Date)


# The report every round was for before report kinds: publicizing administrative reform.
DEFAULT_REPORT_KIND = report_kinds.DEFAULT_KIND


class ReportingRound(TimestampMixin, Base):
    """One commune's report of one kind for one period."""

    __tablename__ = "reporting_rounds"
    __table_args__ = (UniqueConstraint("period_id", "unit_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("reporting_periods.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    # The report kind's code (report_kinds/<code>/kind.yaml).
    kind: Mapped[str] = mapped_column(
        String(32), default=DEFAULT_REPORT_KIND, server_default=DEFAULT_REPORT_KIND
    )
    status: Mapped[RoundStatus] = mapped_column(
        _enum(RoundStatus, "round_status"), default=RoundStatus.OPEN
    )
    opened_at: Mapped[datetime] = mapped_column(default=utc_now)
    closed_at: Mapped[datetime | None]


class Answer(Base):
    """One answer to one question for one round: the unique key makes a second copy impossible."""

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("round_id", "question_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("reporting_rounds.id", ondelete="CASCADE"), index=True
    )
    question_code: Mapped[str] = mapped_column(String(64))
    value: Mapped[dict[str, Any]] = mapped_column(JSON)
    form_version: Mapped[str] = mapped_column(String(32))
    answered_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    answered_at: Mapped[datetime] = mapped_column(default=utc_now)


class DraftStatus(enum.StrEnum):
    AWAITING = "awaiting"  # with the approver, waiting for a decision
    SUPERSEDED = "superseded"  # answers changed and a newer version replaced it undecided
    RETURNED = "returned"  # sent back with a comment
    APPROVED = "approved"


class Draft(Base):
    """One version of a round's report, kept for good: what the approver saw is what is signed.

    `report` is the composer's input as JSON (answers, previous period, signer), frozen when the
    version was made; the final document is composed from it with the number and date added.
    """

    __tablename__ = "drafts"
    __table_args__ = (
        UniqueConstraint("round_id", "version"),
        # Never more than one approved version of a round, whatever races the code loses.
        Index(
            "uq_drafts_one_approved_per_round",
            "round_id",
            unique=True,
            sqlite_where=text("status = 'approved'"),
            postgresql_where=text("status = 'approved'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("reporting_rounds.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[DraftStatus] = mapped_column(
        _enum(DraftStatus, "draft_status"), default=DraftStatus.AWAITING
    )
    report: Mapped[dict[str, Any]] = mapped_column(JSON)
    preview_text: Mapped[str] = mapped_column(Text, default="")
    docx: Mapped[bytes] = mapped_column(LargeBinary)
    # Made from the .docx when first needed, where LibreOffice is installed.
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    created_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    decided_at: Mapped[datetime | None]
    decided_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    comment: Mapped[str | None] = mapped_column(Text)  # why it was returned
    number: Mapped[str | None] = mapped_column(String(40))  # "05/BC-UBND" once numbered
    issued_on: Mapped[date | None] = mapped_column(Date)
    delivered_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))


class DocumentNumber(Base):
    """The unit's register of outgoing document numbers: one per number per year, never reused."""

    __tablename__ = "document_numbers"
    __table_args__ = (UniqueConstraint("unit_id", "year", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"), unique=True)
    assigned_at: Mapped[datetime] = mapped_column(default=utc_now)
    assigned_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))


class PendingInputKind(enum.StrEnum):
    RETURN_COMMENT = "return_comment"  # the approver's next message says what to correct
    DOCUMENT_NUMBER = "document_number"  # the clerk's next message is the number
    RECIPIENTS = "recipients"  # the chairman's next message is the unit's "Nơi nhận" list


class PendingInput(Base):
    """A person's next message is read as something other than an answer (one at a time)."""

    __tablename__ = "pending_inputs"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    kind: Mapped[PendingInputKind] = mapped_column(_enum(PendingInputKind, "pending_input_kind"))
    # The version a comment or number is for; None for the recipients, which are the unit's.
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for `not_before`
    SENDING = "sending"  # handed to Telegram; outcome not yet written
    SENT = "sent"
    BLOCKED = "blocked"  # 403: the person blocked the bot or left the group
    FAILED = "failed"  # Telegram refused it for good (400)


class OutboxMessage(Base):
    """A message to send, written with a unique key in the transaction that decided to send it.

    The sender takes rows from here, so a crash, a restart or a 429 loses nothing, and the key
    makes the same notice impossible to queue twice.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_not_before", "status", "not_before"),
        # For "is an earlier message to this chat still unsent?" on every claim.
        Index("ix_outbox_chat_id_id", "chat_id", "id"),
        Index("ix_outbox_office_id_id", "office_id", "id"),
        Index("ix_outbox_person_id_id", "person_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    # A person's private chat, or an office's chat; for an office it is read when sending,
    # so a report approved before the office registered its group still arrives.
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    purpose: Mapped[str] = mapped_column(String(40))
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[OutboxStatus] = mapped_column(
        _enum(OutboxStatus, "outbox_status"), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime] = mapped_column(default=utc_now)
    # Which sender took the row, and when: a row SENDING past its lease was abandoned (the
    # instance died) and another instance takes it over.
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    claimed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    sent_at: Mapped[datetime | None]
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    # The channel it went out on ("telegram", "zalo"), once sent.
    channel: Mapped[str | None] = mapped_column(String(16))
    last_error: Mapped[str | None] = mapped_column(String(300))


class AuditEntry(Base):
    """Who did what, when: every change of consequence is written here."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utc_now, index=True)
    actor_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    actor_telegram_id: Mapped[int | None] = mapped_column(BigInteger)
    actor_label: Mapped[str | None] = mapped_column(String(64))  # e.g. "cli" for admin commands
    # The channel the action came from ("telegram", "zalo"); None for the CLI and the calendar.
    channel: Mapped[str | None] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class SectionAssignment(Base):
    """A commune names who answers a section; without one, the form's roles decide."""

    __tablename__ = "section_assignments"
    __table_args__ = (UniqueConstraint("unit_id", "section_code", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    section_code: Mapped[str] = mapped_column(String(40))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))


class SectionSubmission(Base):
    """A section of a round handed in; the round is complete when every section is."""

    __tablename__ = "section_submissions"
    __table_args__ = (UniqueConstraint("round_id", "section_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("reporting_rounds.id", ondelete="CASCADE"), index=True
    )
    section_code: Mapped[str] = mapped_column(String(40))
    form_version: Mapped[str] = mapped_column(String(32))
    submitted_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    submitted_at: Mapped[datetime] = mapped_column(default=utc_now)


class WalkStatus(enum.StrEnum):
    ASKING = "asking"  # waiting for the answer to `question_code`
    CONFIRMING = "confirming"  # holding a `pending` value until the officer confirms it
    REVIEWING = "reviewing"  # showing every answer, waiting for "change" or "submit"
    PAUSED = "paused"  # /huy: messages are not read as answers until /baocao
    DONE = "done"  # submitted; /baocao reopens the review


class QuestionnaireState(TimestampMixin, Base):
    """Where one person is in one round's questionnaire: the truth a restarted bot resumes from."""

    __tablename__ = "questionnaire_states"
    __table_args__ = (
        UniqueConstraint("round_id", "person_id"),
        # A person's latest walk, read on every answer (storage.questionnaire.latest_walk).
        Index("ix_questionnaire_states_person_id_updated_at", "person_id", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("reporting_rounds.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    status: Mapped[WalkStatus] = mapped_column(
        _enum(WalkStatus, "walk_status"), default=WalkStatus.ASKING
    )
    question_code: Mapped[str | None] = mapped_column(String(40))
    # Bumped on every change; buttons carry it, so a tap on an older keyboard is recognised.
    step: Mapped[int] = mapped_column(Integer, default=0)
    pending: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    back_to_review: Mapped[bool] = mapped_column(default=False)
    # The prompts that reached the person, newest last: [{"step", "question", "message"}], where
    # "message" is the delivered message's id (in a private chat the person's messages and the
    # bot's share one increasing sequence). A typed answer counts for the prompt it followed.
    shown: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)


class ChannelName(enum.StrEnum):
    """Where people are reached; every update and contact records its channel."""

    TELEGRAM = "telegram"
    ZALO = "zalo"


class HandledUpdate(Base):
    """Updates already acted on, written in the same transaction as the action. The key is the
    channel's own: a Telegram update id, a Zalo message id (Zalo's updates have no id)."""

    __tablename__ = "handled_updates"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(default=utc_now, index=True)


class InboxUpdate(Base):
    """An update received from a channel and not yet handled, kept so that Telegram can be
    told at once that it arrived (and a Zalo update, which is gone from Zalo once fetched, is
    not lost): a crash before it is handled finds it here on the next start. Removed once
    handled (or dropped as part of a flood). `id` keeps the order of receipt."""

    __tablename__ = "inbox"
    __table_args__ = (UniqueConstraint("channel", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(80))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(default=utc_now)
