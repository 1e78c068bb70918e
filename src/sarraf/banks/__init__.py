"""Bank connectors: adapters from the BankConnector port to real bank APIs (OB v4.0 over HTTP)."""

from sarraf.banks.openbanking import OpenBankingConnector

__all__ = ["OpenBankingConnector"]
