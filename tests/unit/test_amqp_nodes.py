"""MARKET_AMQP_NODES: the other nodes of the broker's cluster, each reached with the URL's own
credentials and vhost."""

from __future__ import annotations

from shared.config import ServiceSettings


def test_one_node_when_no_others_are_named() -> None:
    settings = ServiceSettings(amqp_url="amqp://guest:guest@127.0.0.1:5672/")
    assert settings.broker_urls == ["amqp://guest:guest@127.0.0.1:5672/"]


def test_every_node_with_the_urls_credentials_and_vhost() -> None:
    settings = ServiceSettings(
        amqp_url="amqp://guest:s3cret@rabbit-1:5672/market", amqp_nodes=["rabbit-2:5672", "rabbit-3:5673"]
    )
    assert settings.broker_urls == [
        "amqp://guest:s3cret@rabbit-1:5672/market",
        "amqp://guest:s3cret@rabbit-2:5672/market",
        "amqp://guest:s3cret@rabbit-3:5673/market",
    ]


def test_a_services_own_broker_user_on_every_node() -> None:
    settings = ServiceSettings(
        namespace="shop", amqp_url="amqp://rabbit-1:5672/", amqp_password="pw", amqp_nodes=["rabbit-2:5672"]
    )
    assert settings.broker_urls == ["amqp://shop_:pw@rabbit-1:5672/", "amqp://shop_:pw@rabbit-2:5672/"]


def test_read_from_the_environment_as_a_json_list(monkeypatch) -> None:
    monkeypatch.setenv("MARKET_AMQP_NODES", '["10.0.0.2:5672", "10.0.0.3:5672"]')
    monkeypatch.setenv("MARKET_AMQP_URL", "amqp://u:p@10.0.0.1:5672/")
    assert ServiceSettings().broker_urls[1:] == ["amqp://u:p@10.0.0.2:5672/", "amqp://u:p@10.0.0.3:5672/"]
