"""Community pages under /w/<slug>/community/ (namespace "community"): members, merges, rewards."""

from django.urls import URLPattern, URLResolver, path

from participation.views import community, rewards

app_name = "community"

urlpatterns: list[URLPattern | URLResolver] = [
    # Members (views/community.py)
    path("", community.members, name="members"),
    path("m/<int:contact_id>/", community.member, name="member"),
    path("m/<int:contact_id>/conversations/", community.member_conversations, name="member-conversations"),
    path("m/<int:contact_id>/notes/", community.note_add, name="note-add"),
    path("m/<int:contact_id>/notes/<int:note_id>/delete/", community.note_delete, name="note-delete"),
    path("m/<int:contact_id>/labels/", community.member_labels, name="member-labels"),
    path("m/<int:contact_id>/score/", community.member_score, name="member-score"),
    path("m/<int:contact_id>/merge/", community.member_merge, name="member-merge"),
    path("m/<int:contact_id>/split/<int:identity_id>/", community.member_split, name="member-split"),
    path("m/<int:contact_id>/export/", community.member_export, name="member-export"),
    path("m/<int:contact_id>/erase/", community.member_erase, name="member-erase"),
    path("m/<int:contact_id>/award/", rewards.member_award, name="member-award"),
    path("m/<int:contact_id>/redeem/", rewards.member_redeem, name="member-redeem"),
    # Suggested merges and segments (views/community.py)
    path("merges/", community.merges, name="merges"),
    path("merges/merge/", community.merge_pair, name="merge-pair"),
    path("merges/dismiss/", community.merge_dismiss, name="merge-dismiss"),
    path("segments/", community.segments, name="segments"),
    path("segments/new/", community.segment_new, name="segment-new"),
    path("segments/<int:segment_id>/delete/", community.segment_delete, name="segment-delete"),
    # Rewards (views/rewards.py)
    path("rewards/", rewards.programmes, name="rewards"),
    path("rewards/new/", rewards.programme_edit, name="programme-new"),
    path("rewards/<int:programme_id>/", rewards.programme, name="programme"),
    path("rewards/<int:programme_id>/edit/", rewards.programme_edit, name="programme-edit"),
    path("rewards/<int:programme_id>/delete/", rewards.programme_delete, name="programme-delete"),
    path("rewards/<int:programme_id>/rules/", rewards.rule_new, name="rule-new"),
    path("rewards/<int:programme_id>/rules/<int:rule_id>/toggle/", rewards.rule_toggle, name="rule-toggle"),
    path("rewards/<int:programme_id>/rules/<int:rule_id>/delete/", rewards.rule_delete, name="rule-delete"),
    path("rewards/<int:programme_id>/ledger/", rewards.ledger, name="ledger"),
    path("rewards/entries/<int:entry_id>/reverse/", rewards.entry_reverse, name="entry-reverse"),
]
