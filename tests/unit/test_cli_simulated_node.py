"""`dxspots collect --simulated-node HOST:PORT`: the demo's node, or a message naming a setting."""

from __future__ import annotations

import pytest

from dxspots.cli import simulated_node
from dxspots.runtime import CommandError
from dxspots.settings import SIMULATED_NODE


def test_a_resolvable_node_is_the_simulated_one() -> None:
    node = simulated_node("127.0.0.1:7300", wait=0)
    assert (node.name, node.host, node.port) == (SIMULATED_NODE, "127.0.0.1", 7300)


def test_a_missing_node_names_the_callsign_setting_and_the_demo() -> None:
    with pytest.raises(CommandError) as caught:
        simulated_node("no-such-simulator.invalid:7300", wait=0)
    assert "DXSPOTS_CALLSIGN is not set" in str(caught.value)
    assert "--profile demo" in str(caught.value)


@pytest.mark.parametrize("address", ["simulator", "simulator:port", ":7300"])
def test_a_malformed_address_is_refused(address: str) -> None:
    with pytest.raises(CommandError, match="HOST:PORT"):
        simulated_node(address, wait=0)
