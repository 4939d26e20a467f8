"""Multi-model reads for tenancy pages."""

from __future__ import annotations

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
    explicit = dict(AccountPermission.objects.filter(membership=membership).values_list("account_id", "level"))
    accounts = ConnectedAccount.objects.for_workspace(membership.workspace_id)
    return [AccountAccess(account, membership, explicit.get(account.pk)) for account in accounts]


def account_access_for_account(account: ConnectedAccount) -> list[AccountAccess]:
    """Every member of the account's workspace with their level on this account."""
    explicit = dict(AccountPermission.objects.filter(account=account).values_list("membership_id", "level"))
    members = Membership.objects.filter(workspace_id=account.workspace_id).select_related("user", "workspace")
    return [AccountAccess(account, member, explicit.get(member.pk)) for member in members]


def visible_accounts(membership: Membership) -> list[AccountAccess]:
    return [access for access in account_access_for_member(membership) if access.effective >= AccountLevel.VIEW]
