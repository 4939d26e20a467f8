"""Reward programmes: awards once per source, redemptions never below zero, reversals once, an
append-only ledger the database itself guards, and the collection hooks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.models.signals import pre_delete
from django.utils import timezone

from participation.models import (
    Contact,
    Conversation,
    InboxItem,
    LedgerEntry,
    RewardAction,
    RewardProgramme,
    RewardRule,
    Sentiment,
)
from participation.services import rewards
from participation.services.collection import inbox_collect
from participation.signals import workspace_pre_delete
from participation.tests.inbox_data import make_item
from smm.accounts.models import AuditEvent, Workspace
from tests.fake_inbox import FakeInbox, install
from tests.fixtures import Personas


def _programme(workspace: Workspace, name: str = "Ambassadors", **rules: int) -> RewardProgramme:
    programme = RewardProgramme.objects.create(workspace=workspace, name=name)
    for action, points in (rules or {RewardAction.CONTEST_ENTRY: 5}).items():
        RewardRule.objects.create(programme=programme, action=action, points=points)
    return programme


def _contact(workspace: Workspace, name: str = "Anna") -> Contact:
    return Contact.objects.create(workspace=workspace, display_name=name)


class TestAward:
    def test_it_awards_every_active_rule_once_per_source(self, personas: Personas) -> None:
        first = _programme(personas.workspace, "Ambassadors", contest_entry=5)
        second = _programme(personas.workspace, "Badges", contest_entry=1)
        RewardRule.objects.create(programme=second, action=RewardAction.CONTEST_ENTRY, badge="Contestant")
        RewardRule.objects.create(programme=first, action=RewardAction.IDEA_ACCEPTED, points=50)
        off = RewardRule.objects.create(programme=first, action=RewardAction.CONTEST_ENTRY, points=100, active=False)
        inactive = _programme(personas.workspace, "Old", contest_entry=1000)
        inactive.active = False
        inactive.save()
        anna = _contact(personas.workspace)

        made = rewards.award(contact=anna, action=RewardAction.CONTEST_ENTRY, source="contest:1")
        again = rewards.award(contact=anna, action=RewardAction.CONTEST_ENTRY, source="contest:1")

        assert sorted(entry.points for entry in made) == [0, 1, 5]
        assert again == []
        assert LedgerEntry.objects.filter(contact=anna).count() == 3
        assert not LedgerEntry.objects.filter(rule=off).exists()
        assert rewards.balance(contact=anna, programme=first) == 5
        assert rewards.balance(contact=anna, programme=second) == 1
        standings = {s.programme.name: s for s in rewards.standings(contact=anna)}
        assert standings["Badges"].badges == ["Contestant"] and standings["Ambassadors"].points == 5
        # Another source is another award.
        assert len(rewards.award(contact=anna, action=RewardAction.CONTEST_ENTRY, source="contest:2")) == 3

    def test_the_database_refuses_a_second_award_for_the_same_source(self, personas: Personas) -> None:
        programme = _programme(personas.workspace)
        rule = programme.rules.get()
        anna = _contact(personas.workspace)
        values = {
            "workspace": personas.workspace,
            "programme": programme,
            "contact": anna,
            "kind": LedgerEntry.Kind.AWARD,
            "points": 5,
            "rule": rule,
            "source": "contest:1",
        }
        LedgerEntry.objects.create(**values)
        with pytest.raises(DatabaseError), transaction.atomic():
            LedgerEntry.objects.create(**values)
        # Racing past the existence check, award() still makes nothing twice.
        assert rewards.award(contact=anna, action=RewardAction.CONTEST_ENTRY, source="contest:1") == []

    def test_blocked_people_and_other_workspaces_earn_nothing(self, personas: Personas) -> None:
        _programme(personas.other_workspace)
        _programme(personas.workspace, "Ours", idea_accepted=3)
        anna = _contact(personas.workspace)
        assert rewards.award(contact=anna, action=RewardAction.CONTEST_ENTRY, source="contest:1") == []
        blocked = Contact.objects.create(workspace=personas.workspace, display_name="Troll", blocked=True)
        assert rewards.award(contact=blocked, action=RewardAction.IDEA_ACCEPTED, source="idea:1") == []
        assert rewards.award(contact=None, action=RewardAction.IDEA_ACCEPTED, source="idea:1") == []


class TestRedeemAndReverse:
    def test_it_redeems_within_the_balance_only(self, personas: Personas) -> None:
        programme = _programme(personas.workspace, contest_entry=10)
        anna = _contact(personas.workspace)
        rewards.award(contact=anna, action=RewardAction.CONTEST_ENTRY, source="contest:1")

        entry = rewards.redeem(contact=anna, programme=programme, points=7, note="Mug", actor=personas.owner)
        assert entry.points == -7 and entry.kind == LedgerEntry.Kind.REDEMPTION
        with pytest.raises(ValidationError) as error:
            rewards.redeem(contact=anna, programme=programme, points=4, note="Cap", actor=personas.owner)
        assert "has 3 points" in str(error.value)
        with pytest.raises(ValidationError):
            rewards.redeem(contact=anna, programme=programme, points=0, actor=personas.owner)
        assert rewards.balance(contact=anna, programme=programme) == 3
        assert AuditEvent.objects.filter(action=AuditEvent.Action.REWARD_LEDGER_CHANGED).count() == 1

    def test_it_reverses_an_entry_once(self, personas: Personas) -> None:
        programme = _programme(personas.workspace, contest_entry=10)
        anna = _contact(personas.workspace)
        [award] = rewards.award(contact=anna, action=RewardAction.CONTEST_ENTRY, source="contest:1")

        reversal = rewards.reverse(entry=award, note="Entered twice", actor=personas.owner)
        assert reversal.points == -10 and reversal.reverses == award
        assert rewards.balance(contact=anna, programme=programme) == 0
        with pytest.raises(ValidationError, match="already been reversed"):
            rewards.reverse(entry=award, actor=personas.owner)
        with pytest.raises(ValidationError, match="cannot be reversed"):
            rewards.reverse(entry=reversal, actor=personas.owner)

    def test_reversing_spent_points_is_refused(self, personas: Personas) -> None:
        programme = _programme(personas.workspace, contest_entry=10)
        anna = _contact(personas.workspace)
        [award] = rewards.award(contact=anna, action=RewardAction.CONTEST_ENTRY, source="contest:1")
        redemption = rewards.redeem(contact=anna, programme=programme, points=10, actor=personas.owner)
        with pytest.raises(ValidationError, match="Reverse a redemption first"):
            rewards.reverse(entry=award, actor=personas.owner)
        rewards.reverse(entry=redemption, note="Prize out of stock", actor=personas.owner)
        rewards.reverse(entry=award, actor=personas.owner)
        assert rewards.balance(contact=anna, programme=programme) == 0


class TestAppendOnlyLedger:
    def _entry(self, personas: Personas) -> LedgerEntry:
        _programme(personas.workspace, contest_entry=10)
        anna = _contact(personas.workspace)
        return rewards.award(contact=anna, action=RewardAction.CONTEST_ENTRY, source="contest:1")[0]

    def test_the_database_refuses_to_change_points(self, personas: Personas) -> None:
        entry = self._entry(personas)
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            LedgerEntry.objects.filter(pk=entry.pk).update(points=1000)
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            LedgerEntry.objects.filter(pk=entry.pk).update(note="edited")
        entry.refresh_from_db()
        assert entry.points == 10

    def test_the_database_refuses_to_delete_an_entry(self, personas: Personas) -> None:
        entry = self._entry(personas)
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            LedgerEntry.objects.filter(pk=entry.pk).delete()
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM participation_ledgerentry WHERE id = %s", [entry.pk])
        assert LedgerEntry.objects.filter(pk=entry.pk).exists()

    def test_only_the_contact_may_change(self, personas: Personas) -> None:
        entry = self._entry(personas)
        other = _contact(personas.workspace, "Anna B")
        LedgerEntry.objects.filter(pk=entry.pk).update(contact=other)
        LedgerEntry.objects.filter(pk=entry.pk).update(contact=None)
        entry.refresh_from_db()
        assert entry.contact_id is None and entry.points == 10

    def test_deleting_a_workspace_deletes_its_ledger(self, personas: Personas) -> None:
        """The pre_delete receiver (participation/signals.py) lets the ledger go with its workspace.
        (A workspace is built bare here: audit rows, kept forever, would protect it.)"""
        workspace = Workspace.objects.create(name="Closing Oy", slug="closing-oy")
        programme = _programme(workspace, contest_entry=10)
        anna = _contact(workspace)
        [award] = rewards.award(contact=anna, action=RewardAction.CONTEST_ENTRY, source="contest:1")
        LedgerEntry.objects.create(
            workspace=workspace,
            programme=programme,
            contact=anna,
            kind=LedgerEntry.Kind.REVERSAL,
            points=-10,
            reverses=award,
        )
        kept = _entry_in_other_workspace(personas)
        # Without the receiver, the database refuses.
        pre_delete.disconnect(sender=Workspace, dispatch_uid="workspace_ledger")
        try:
            with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
                workspace.delete()
        finally:
            pre_delete.connect(workspace_pre_delete, sender=Workspace, dispatch_uid="workspace_ledger")

        workspace.delete()

        assert not LedgerEntry.objects.filter(workspace_id=programme.workspace_id).exists()
        assert LedgerEntry.objects.filter(pk=kept.pk).exists()
        # The maintenance switch lasted only as long as that deletion.
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            LedgerEntry.objects.filter(pk=kept.pk).delete()


def _entry_in_other_workspace(personas: Personas) -> LedgerEntry:
    _programme(personas.other_workspace, contest_entry=1)
    contact = _contact(personas.other_workspace, "Bert")
    return rewards.award(contact=contact, action=RewardAction.CONTEST_ENTRY, source="contest:9")[0]


class TestCollectionHooks:
    """Collecting an item awards what it earns: a positive mention; an answer to another customer."""

    @pytest.fixture
    def box(self, monkeypatch: pytest.MonkeyPatch) -> FakeInbox:
        return install(monkeypatch)

    def test_a_positive_mention_earns_its_reward_once(self, personas: Personas, box: FakeInbox) -> None:
        programme = _programme(personas.workspace, positive_mention=2)
        box.notify("mention", box.post(text="I love your shop, thank you!", author="anna"), author="anna")
        box.notify("mention", box.post(text="Is the shop open?", author="bert"), author="bert")

        inbox_collect(account=personas.account)
        inbox_collect(account=personas.account)

        [entry] = LedgerEntry.objects.filter(programme=programme)
        item = InboxItem.objects.get(sentiment=Sentiment.POSITIVE)
        assert entry.contact == item.contact and entry.source == f"item:{item.pk}" and entry.points == 2
        assert entry.action == RewardAction.POSITIVE_MENTION

    def test_answering_another_customer_earns_a_reward(self, personas: Personas, box: FakeInbox) -> None:
        from publishing.models import Post, Target

        programme = _programme(personas.workspace, answered_customer=5)
        post = Post.objects.create(workspace=personas.workspace, author=personas.editor, text="Our news")
        Target.objects.create(post=post, account=personas.account, status=Target.Status.PUBLISHED, remote_id="our-1")
        question = box.post(text="How do I reset my password?", author="anna", reply_to="our-1")
        box.notify("reply", question, author="anna")
        answer = box.post(text="Try the link on the login page", author="bert", reply_to=question.remote_id)
        box.threads[answer.remote_id] = box.post(text="Our news", remote_id="our-1")
        box.notify("reply", answer, author="bert")
        # Anna answering herself earns nothing.
        own = box.post(text="Found it myself", author="anna", reply_to=question.remote_id)
        box.threads[own.remote_id] = box.threads[answer.remote_id]
        box.notify("reply", own, author="anna")

        inbox_collect(account=personas.account)

        [entry] = LedgerEntry.objects.filter(programme=programme)
        bert = InboxItem.objects.get(author_handle="@bert@fake.example")
        assert entry.contact_id == bert.contact_id and entry.source == f"item:{bert.pk}"
        assert bert.conversation.kind == Conversation.Kind.THREAD

    def test_a_reply_to_our_own_reply_earns_nothing(self, personas: Personas) -> None:
        _programme(personas.workspace, answered_customer=5)
        ours = make_item(personas, kind=InboxItem.Kind.OURS, text="We are open 10–16")
        Conversation.objects.filter(pk=ours.conversation_id).update(kind=Conversation.Kind.THREAD)
        anna = _contact(personas.workspace)
        reply = InboxItem.objects.create(
            workspace=personas.workspace,
            account=personas.account,
            conversation=ours.conversation,
            kind=InboxItem.Kind.REPLY,
            remote_id="r1",
            parent_remote_id=ours.remote_id,
            contact=anna,
            text="Thanks",
            created_at=timezone.now() - timedelta(minutes=1),
        )
        assert rewards.item_awards(item=reply) == []

    def test_an_answer_collected_in_a_later_run_is_rewarded_too(self, personas: Personas, box: FakeInbox) -> None:
        from publishing.models import Post, Target

        programme = _programme(personas.workspace, answered_customer=5)
        post = Post.objects.create(workspace=personas.workspace, author=personas.editor, text="Our news")
        Target.objects.create(post=post, account=personas.account, status=Target.Status.PUBLISHED, remote_id="our-1")
        question = box.post(text="How do I reset my password?", author="anna", reply_to="our-1")
        box.notify("reply", question, author="anna")
        inbox_collect(account=personas.account)
        assert not LedgerEntry.objects.exists()

        answer = box.post(text="Try the link on the login page", author="bert", reply_to=question.remote_id)
        box.notify("reply", answer, author="bert")
        inbox_collect(account=personas.account)

        [entry] = LedgerEntry.objects.filter(programme=programme)
        assert entry.contact == InboxItem.objects.get(remote_id=answer.remote_id).contact
