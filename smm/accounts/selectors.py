"""Multi-model reads for tenancy pages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from smm.accounts.models import AccountLevel, AccountPermission, Membership
from smm.networks.models import ConnectedAccount


@dataclass(frozen=True)
class AccountAccess:
    account: ConnectedAccount
    membership: Membership
    explicit: int | None

    @property
    def effective(self) -> int:
        level = self.membership.default_account_level if self.explicit is None else self.explicit
        return min(level, self.membership.max_account_level)

    @property
    def effective_label(self) -> str:
        return str(AccountLevel(self.effective).label)


def account_access_for_member(membership: Membership) -> list[AccountAccess]:
    """Every account of the member's workspace with the member's explicit and effective level."""
    return account_access_for_members([membership])[membership.pk]


def account_access_for_members(memberships: Sequence[Membership]) -> dict[int, list[AccountAccess]]:
    """account_access_for_member for several members of one workspace (a page of the team list), by
    membership id, in two queries however many members there are."""
    if not memberships:
        return {}
    explicit: dict[int, dict[int, int]] = {membership.pk: {} for membership in memberships}
    permissions = AccountPermission.objects.filter(membership__in=[membership.pk for membership in memberships])
    for membership_id, account_id, level in permissions.values_list("membership_id", "account_id", "level"):
        explicit[membership_id][account_id] = level
    accounts = list(ConnectedAccount.objects.for_workspace(memberships[0].workspace_id))
    return {
        membership.pk: [
            AccountAccess(account, membership, explicit[membership.pk].get(account.pk)) for account in accounts
        ]
        for membership in memberships
    }


def account_access_for_account(account: ConnectedAccount) -> list[AccountAccess]:
    """Every member of the account's workspace with their level on this account."""
    explicit = dict(AccountPermission.objects.filter(account=account).values_list("membership_id", "level"))
    members = Membership.objects.filter(workspace_id=account.workspace_id).select_related("user", "workspace")
    return [AccountAccess(account, member, explicit.get(member.pk)) for member in members]


def visible_accounts(membership: Membership) -> list[AccountAccess]:
    return [access for access in account_access_for_member(membership) if access.effective >= AccountLevel.VIEW]
