"""The explicit list of networks smm can connect, and the one way to get an adapter."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from smm.networks.base import Adapter
    from smm.networks.models import ConnectedAccount

# network name -> adapter class. A network is offered only when its <NAME>_ENABLED setting is on.
NETWORKS: dict[str, str] = {
    "mastodon": "smm.networks.mastodon.adapter.MastodonAdapter",
    "bluesky": "smm.networks.bluesky.adapter.BlueskyAdapter",
}


def is_enabled(network: str) -> bool:
    return network in NETWORKS and bool(getattr(settings, f"{network.upper()}_ENABLED", False))


def enabled_networks() -> list[str]:
    return [network for network in NETWORKS if is_enabled(network)]


def adapter_class(network: str) -> type[Adapter]:
    if network not in NETWORKS:
        raise LookupError(f"no adapter for network {network!r}")
    adapter: type[Adapter] = import_string(NETWORKS[network])
    return adapter


def adapter_for(account: ConnectedAccount) -> Adapter:
    """An adapter for a connected account; refreshed credentials are saved back, encrypted."""
    from smm.networks.services import account_refresh_guard, account_save_credentials

    def save(credentials: dict[str, object]) -> None:
        account_save_credentials(account=account, credentials=dict(credentials))

    return adapter_class(account.network)(
        credentials=account.credentials,
        config=account.config,
        save_credentials=save,
        rate_limit_key=f"{account.network}:account:{account.pk}",
        refresh_guard=lambda: account_refresh_guard(account_id=account.pk),
    )
