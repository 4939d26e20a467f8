"""Participation services, one topic module each:

contacts.py       contacts and their network identities
collection.py     collecting notifications and messages into conversations (incremental, deduplicated)
conversations.py  status, assignment, tags, notes, timers and response-time targets
replies.py        replies sent through the networks (once), likes and boosts, collision checks
moderation.py     hide, delete, block, mute, report (as each network allows), audited
rules.py          inbox rules: conditions → actions, tried on recent items before they are switched on
community.py      community members: segments, notes, score, merge suggestions, merge/split, export, erasure
rewards.py        reward programmes and rules, the append-only ledger: award, redeem, reverse, leaderboard
"""
