"""Port checks before `dxspots up` starts anything: a listener on any address of the host's
name is found and the setting that moves the port is named."""

from __future__ import annotations

import socket

from dxspots.supervise import Port, port_problem


def test_a_listener_on_any_address_of_a_name_is_found() -> None:
    """`localhost` gives ::1 and 127.0.0.1 (in either order); a listener on 127.0.0.1 is a
    conflict whichever comes first, and a machine without IPv6 is none."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        problem = port_problem(Port("DXSPOTS_API_PORT", "localhost", port))
        assert problem is not None
        assert problem.startswith(f"DXSPOTS_API_PORT: port {port} on localhost is in use")
        assert "set DXSPOTS_API_PORT to a free port" in problem
    assert port_problem(Port("DXSPOTS_API_PORT", "localhost", port)) is None  # free again


def test_port_zero_and_a_bad_host_name() -> None:
    assert port_problem(Port("DXSPOTS_METRICS_PORT", "127.0.0.1", 0)) is None
    problem = port_problem(Port("DXSPOTS_DASHBOARD_PORT", "no such host.invalid", 8501))
    assert problem is not None and problem.startswith("DXSPOTS_DASHBOARD_HOST: ")
