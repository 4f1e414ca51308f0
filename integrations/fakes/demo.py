"""The demo company served by fake Salesforce, NetSuite and BambooHR (DEMO AND TEST ONLY).

``openspm demo --sources`` generates the usual demo company into ``demo-vendors/`` (a complete
file-drop workspace: what the three systems hold), loads its final state into the fakes, and
writes the workspace's openspm.yaml with ``sources:`` pointing at them; the pulls then land
the same company through the connectors. ``python -m integrations.fakes serve --workspace DIR``
serves ``demo-vendors/`` again on the ports openspm.yaml names, for later pulls.

How the demo's entities become vendor records (the connectors' defaults map them back):

- Salesforce: deals -> Opportunity (deal types as the standard picklist labels, contract
  start, term and cancellation in custom fields mapped under ``fields:``), splits ->
  OpportunitySplit (Revenue/Overlay), accounts -> Account (segment in ``Segment__c``), CRM users
  -> User (``EmployeeNumber`` = the HRIS id); deleted records stay with ``IsDeleted``.
- NetSuite: invoices -> ``CustInvc`` (a credit memo: ``CustCred``), the deal id in
  ``custbody_crm_deal_id``; payments -> ``CustPymt`` applied through NextTransactionLineLink;
  fx rates -> currencyrate.
- BambooHR: employees -> the employee dataset (``eeid`` = the demo's employee id); job
  history -> jobInfo (``reportsTo`` as the manager's display name) and employmentStatus rows.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from integrations.fakes.bamboohr import BambooHRFake
from integrations.fakes.netsuite import NetSuiteFake
from integrations.fakes.salesforce import SalesforceFake
from integrations.file_drop import list_batches, read_batch
from openspm.demo import DemoSize, GenerationSummary, generate_workspace, is_generated_workspace
from openspm.entities import ENTITIES_BY_FOLDER

VENDOR_DIR = "demo-vendors"
KEY_FILE = "netsuite-demo-key.pem"  # the demo's NetSuite certificate key (no real account)
DEMO_ENV = {
    "OPENSPM_DEMO_SF_CLIENT_ID": "demo-client-id",
    "OPENSPM_DEMO_SF_CLIENT_SECRET": "demo-client-secret",
    "OPENSPM_DEMO_NS_CLIENT_ID": "demo-netsuite-client",
    "OPENSPM_DEMO_NS_CERTIFICATE_ID": "demo-certificate",
    "OPENSPM_DEMO_BAMBOOHR_API_KEY": "demo-bamboohr-key",
}
DEAL_TYPE_LABELS = {
    "new_business": "New Customer",
    "expansion": "Existing Customer - Upgrade",
    "renewal": "Renewal",
}
FORECAST = {"closed_won": "Closed", "closed_lost": "Omitted", "negotiation": "Commit"}
INVOICE_STATUS = {"open": "A", "paid": "B", "void": "V"}
JOB_STATUS = {"active": "Full-Time", "leave": "Leave of Absence", "terminated": "Terminated"}
CUSTOM_FIELDS = {
    "Opportunity": {"Contract_Start_Date__c", "Contract_Term_Months__c", "Cancelled_Date__c"},
    "Account": {"Segment__c"},
}


def final_state(landing: Path, folder: str) -> list[dict[str, str]]:
    """The latest version of every key of a landing entity (as ingestion would keep it)."""
    ent = ENTITIES_BY_FOLDER[folder]
    latest: dict[tuple[str, ...], tuple[tuple[str, int], dict[str, str]]] = {}
    for order, batch in enumerate(list_batches(landing / folder, folder).batches):
        table = read_batch(batch)
        for row in table.to_pylist():
            key = tuple(str(row[k]) for k in ent.key)
            stamp = _iso(row.get("modified_at") or "") if ent.versioned_by else ""
            rank = (stamp, order)
            if key not in latest or rank >= latest[key][0]:
                latest[key] = (rank, row)
    return [row for _, row in latest.values()]


def _iso(text: str) -> str:
    """A landing timestamp as sortable ISO text in UTC."""
    return _stamp(text).isoformat() if text else ""


def _stamp(text: str) -> datetime:
    text = text.strip().replace(" ", "T")
    if text.endswith("+00"):
        text += ":00"
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _bool(text: str | None) -> bool:
    return (text or "").strip().lower() in ("true", "1")


def _date(text: str | None) -> date | None:
    return date.fromisoformat(text.strip()) if text and text.strip() else None


def _decimal(text: str | None) -> Decimal | None:
    return Decimal(text.strip()) if text and text.strip() else None


def _number(identifier: str) -> int:
    return int("".join(ch for ch in identifier if ch.isdigit()))


# -- loading the fakes ----------------------------------------------------------------------------


def load_salesforce(fake: SalesforceFake, landing: Path) -> None:
    records: dict[str, list[dict[str, Any]]] = {k: [] for k in fake.records}
    for row in final_state(landing, "crm/deals"):
        stage = row["stage"]
        records["Opportunity"].append(
            {
                "Id": row["deal_id"],
                "AccountId": row["account_id"],
                "OwnerId": row["owner_id"],
                "Type": DEAL_TYPE_LABELS.get(row["deal_type"], row["deal_type"]),
                "StageName": stage,
                "IsWon": _bool(row["is_won"]),
                "IsClosed": stage in ("closed_won", "closed_lost"),
                "Probability": _decimal(row.get("probability")),
                "ForecastCategoryName": FORECAST.get(stage, "Pipeline"),
                "CloseDate": _date(row["close_date"]),
                "Amount": _decimal(row["amount"]),
                "CurrencyIsoCode": row["currency"] or None,
                "Contract_Start_Date__c": _date(row.get("contract_start_date")),
                "Contract_Term_Months__c": _decimal(row.get("contract_term_months")),
                "Cancelled_Date__c": _date(row.get("cancelled_date")),
                "IsDeleted": _bool(row.get("is_deleted")),
                "SystemModstamp": _stamp(row["modified_at"]),
            }
        )
    for row in final_state(landing, "crm/deal_splits"):
        records["OpportunitySplit"].append(
            {
                "Id": row["split_id"],
                "OpportunityId": row["deal_id"],
                "SplitOwnerId": row["owner_id"],
                "SplitType.DeveloperName": row["split_type"].capitalize(),
                "SplitPercentage": _decimal(row["split_percent"]),
                "IsDeleted": _bool(row.get("is_deleted")),
                "SystemModstamp": _stamp(row["modified_at"]),
            }
        )
    for row in final_state(landing, "crm/accounts"):
        records["Account"].append(
            {
                "Id": row["account_id"],
                "Name": row["name"],
                "BillingCountry": row["country"],
                "Industry": row.get("industry"),
                "Segment__c": row.get("segment"),
                "IsDeleted": _bool(row.get("is_deleted")),
                "SystemModstamp": _stamp(row["modified_at"]),
            }
        )
    for row in final_state(landing, "crm/users"):
        if _bool(row.get("is_deleted")):
            continue  # Salesforce users are deactivated, never deleted: these never existed
        records["User"].append(
            {
                "Id": row["user_id"],
                "Email": row["email"],
                "EmployeeNumber": row["employee_id"],
                "IsActive": True,
                "SystemModstamp": _stamp(row["modified_at"]),
            }
        )
    for obj, fields in CUSTOM_FIELDS.items():
        fake.fields[obj].update(fields)
    fake.records.update(records)


def load_netsuite(fake: NetSuiteFake, landing: Path) -> None:
    invoice_ids: dict[str, int] = {}
    for row in final_state(landing, "erp/invoices"):
        amount = Decimal(row["amount"])
        number = 16_000_000 + _number(row["invoice_id"])
        invoice_ids[row["invoice_id"]] = number
        fake.put_transaction(
            id=number,
            tranid=row["invoice_id"],
            type="CustCred" if amount < 0 else "CustInvc",
            status=INVOICE_STATUS[row["status"].lower()],
            trandate=_date(row["invoice_date"]),
            currency=fake.currency_id(row["currency"]),
            foreigntotal=abs(amount),
            custbody_crm_deal_id=row["deal_id"],
            lastmodifieddate=_stamp(row["modified_at"]),
        )
    for row in final_state(landing, "erp/payments"):
        number = 17_000_000 + _number(row["payment_id"])
        fake.put_transaction(
            id=number,
            tranid=row["payment_id"],
            type="CustPymt",
            status="C",
            trandate=_date(row["payment_date"]),
            currency=fake.currency_id(row["currency"]),
            foreigntotal=Decimal(row["amount"]),
            lastmodifieddate=_stamp(row["modified_at"]),
        )
        fake.links.append(
            {
                "previousdoc": invoice_ids[row["invoice_id"]],
                "nextdoc": number,
                "linktype": "Payment",
                "foreignamount": Decimal(row["amount"]),
            }
        )
    rates = sorted(
        final_state(landing, "erp/fx_rates"), key=lambda r: (r["rate_date"], r["from_currency"])
    )
    for n, row in enumerate(rates, start=1):
        fake.rates.append(
            {
                "id": n,
                "basecurrency": fake.currency_id(row["to_currency"]),
                "transactioncurrency": fake.currency_id(row["from_currency"]),
                "exchangerate": Decimal(row["rate"]),
                "effectivedate": _date(row["rate_date"]),
            }
        )


def load_bamboohr(fake: BambooHRFake, landing: Path) -> None:
    people = {r["employee_id"]: r for r in final_state(landing, "hris/employees")}
    names = {e: f"{r['first_name']} {r['last_name']}" for e, r in people.items()}
    jobs = sorted(final_state(landing, "hris/job_history"),
                  key=lambda r: (r["employee_id"], r["effective_date"]))  # fmt: skip
    current: dict[str, str | None] = {}
    for row in jobs:
        current[row["employee_id"]] = row.get("manager_id") or None
    for emp, row in people.items():
        fake.put_employee(
            emp,
            _stamp(row["modified_at"]),
            employeeNumber=emp,
            firstName=row["first_name"],
            lastName=row["last_name"],
            email=row["email"],
            hireDate=row["hire_date"],
            terminationDate=row.get("termination_date") or "0000-00-00",
            supervisorEid=current.get(emp),
        )
    for row in jobs:
        changed = _stamp(row["modified_at"])
        manager = row.get("manager_id") or None
        fake.add_row(
            "jobInfo",
            row["employee_id"],
            changed,
            date=row["effective_date"],
            jobTitle=row["job_title"],
            department=row.get("department"),
            location=row.get("country"),
            division=None,
            reportsTo=names.get(manager) if manager else None,
        )
        fake.add_row(
            "employmentStatus",
            row["employee_id"],
            changed,
            date=row["effective_date"],
            employmentStatus=JOB_STATUS[row["status"].lower()],
        )


# -- the demo workspace ---------------------------------------------------------------------------


@dataclass
class DemoVendors:
    """The three fakes serving ``<root>/demo-vendors`` (start with :meth:`start`)."""

    root: Path
    salesforce: SalesforceFake
    netsuite: NetSuiteFake
    bamboohr: BambooHRFake

    @classmethod
    def open(cls, root: Path, ports: dict[str, int] | None = None) -> DemoVendors:
        """The fakes loaded with the vendor data; ``ports`` reuses the ones openspm.yaml names."""
        ports = ports or {}
        vendors = root / VENDOR_DIR
        landing = vendors / "landing"
        public = _public_key(vendors / KEY_FILE)
        salesforce = SalesforceFake(port=ports.get("crm", 0))
        netsuite = NetSuiteFake(public_key=public, port=ports.get("erp", 0))
        bamboohr = BambooHRFake(port=ports.get("hris", 0))
        load_salesforce(salesforce, landing)
        load_netsuite(netsuite, landing)
        load_bamboohr(bamboohr, landing)
        return cls(root, salesforce, netsuite, bamboohr)

    def start(self) -> DemoVendors:
        for fake in (self.salesforce, self.netsuite, self.bamboohr):
            fake.start()
        return self

    def stop(self) -> None:
        for fake in (self.salesforce, self.netsuite, self.bamboohr):
            with contextlib.suppress(Exception):
                fake.stop()

    @property
    def urls(self) -> dict[str, str]:
        return {"crm": self.salesforce.url, "erp": self.netsuite.url, "hris": self.bamboohr.url}

    def sources_yaml(self) -> str:
        """The ``sources:`` block of the demo's openspm.yaml (secrets as ${ENV} references)."""
        return (
            "sources:  # fake vendors on 127.0.0.1: python -m integrations.fakes serve\n"
            "  hris:\n"
            "    kind: bamboohr\n"
            f"    base_url: {self.bamboohr.url}\n"
            '    auth: {method: api_key, api_key: "${OPENSPM_DEMO_BAMBOOHR_API_KEY}"}\n'
            "  erp:\n"
            "    kind: netsuite\n"
            f"    base_url: {self.netsuite.url}\n"
            "    auth:\n"
            "      method: oauth2_m2m\n"
            '      client_id: "${OPENSPM_DEMO_NS_CLIENT_ID}"\n'
            '      certificate_id: "${OPENSPM_DEMO_NS_CERTIFICATE_ID}"\n'
            f"      private_key_file: {VENDOR_DIR}/{KEY_FILE}\n"
            "    deal_id_field: custbody_crm_deal_id\n"
            "    since: 2025-01-01\n"
            "  crm:\n"
            "    kind: salesforce\n"
            f"    base_url: {self.salesforce.url}\n"
            "    auth:\n"
            "      method: client_credentials\n"
            '      client_id: "${OPENSPM_DEMO_SF_CLIENT_ID}"\n'
            '      client_secret: "${OPENSPM_DEMO_SF_CLIENT_SECRET}"\n'
            "    since: 2025-01-01\n"
            "    fields:\n"
            "      crm/deals:\n"
            "        contract_start_date: Contract_Start_Date__c\n"
            "        contract_term_months: Contract_Term_Months__c\n"
            "        cancelled_date: Cancelled_Date__c\n"
            "      crm/accounts: {segment: Segment__c}\n"
        )


@contextlib.contextmanager
def serving(root: Path, ports: dict[str, int] | None = None) -> Iterator[DemoVendors]:
    vendors = DemoVendors.open(root, ports).start()
    try:
        yield vendors
    finally:
        vendors.stop()


def generate(root: Path, *, seed: int, size: DemoSize, overwrite: bool) -> GenerationSummary:
    """The vendors' data in ``<root>/demo-vendors`` and the workspace's comp/ beside it.

    ``root`` must be empty, or (with ``overwrite``) a demo generated earlier; openspm.yaml is
    written by :func:`write_settings` once the fakes have their ports.
    """
    root = Path(root)
    if root.exists() and any(root.iterdir()):
        if not is_generated_workspace(root):
            raise FileExistsError(
                f"{root} is not empty and is not a generated demo workspace; choose an empty folder"
            )
        if not overwrite:
            raise FileExistsError(
                f"{root} already holds a generated demo workspace; pass --force to regenerate it"
            )
    vendors = root / VENDOR_DIR
    summary = generate_workspace(vendors, seed=seed, size=size, overwrite=vendors.exists())
    prepare(root)
    return summary


def prepare(root: Path) -> None:
    """Make the workspace from ``<root>/demo-vendors`` (already generated): comp/ and a key."""
    vendors = root / VENDOR_DIR
    if (root / "comp").exists():
        shutil.rmtree(root / "comp")
    shutil.copytree(vendors / "comp", root / "comp")
    if (root / "landing").exists():
        shutil.rmtree(root / "landing")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    (vendors / KEY_FILE).write_bytes(pem)


def write_settings(root: Path, vendors: DemoVendors) -> None:
    """openspm.yaml: the generated demo's settings plus the sources block."""
    generated = (root / VENDOR_DIR / "openspm.yaml").read_text(encoding="utf-8")
    header = generated.replace(
        "# Regenerate with `openspm demo --force`",
        "# Connectors demo (`openspm demo --sources`): the data comes from demo-vendors/ through\n"
        "# fake Salesforce, NetSuite and BambooHR servers.\n"
        "# Regenerate with `openspm demo --sources --force`",
    )
    (root / "openspm.yaml").write_text(header + vendors.sources_yaml(), encoding="utf-8")


def _public_key(path: Path) -> str:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
