"""Fake vendor APIs on 127.0.0.1: DEMO AND TEST ONLY, never a production dependency.

Each fake is a small threaded HTTP server that answers the requests the connectors make with
the status codes, headers and bodies the vendors document (docs/connectors.md, "The fakes"),
and takes injected faults (429 with Retry-After, vendor limit errors, 5xx, dropped
connections, expired tokens, delays). ``integrations.fakes.demo`` serves a generated demo
company through them (``openspm demo --sources``).
"""

from integrations.fakes.bamboohr import BambooHRFake
from integrations.fakes.hubspot import HubSpotFake
from integrations.fakes.netsuite import NetSuiteFake
from integrations.fakes.salesforce import SalesforceFake
from integrations.fakes.server import FakeServer, Fault
from integrations.fakes.workday import WorkdayFake

__all__ = [
    "BambooHRFake",
    "FakeServer",
    "Fault",
    "HubSpotFake",
    "NetSuiteFake",
    "SalesforceFake",
    "WorkdayFake",
]
